"""What the detector nets' trainers (training/subtitles, training/logos) share: the layer they are
built of, the loss, the training loop over random crops of uint8 tiles, and the ONNX export."""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = 255


def block(cin, cout, stride=1, dilation=1):
    # No batch norm: on a CPU it costs as much as the convolutions, and a net this small trains without it.
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation), nn.ReLU(inplace=True))


class SegNet(nn.Module):
    """Both detector nets' shape: two stride-2 steps to 1/4 resolution, four dilated residual 3x3
    blocks there (a receptive field of ~90 input pixels), a skip back up to 1/2, and a last 3x3
    layer at full resolution that sees the input again to place the anti-aliased edge. Input
    levels 0..255 are centred on 128 and divided by `spread` (one value per channel)."""

    def __init__(self, channels, spread, c1=12, c2=24):
        super().__init__()
        self.spread = list(spread)
        self.stem = block(channels, c1, stride=2)
        self.down = block(c1, c2, stride=2)
        self.context = nn.ModuleList([block(c2, c2, dilation=d) for d in (1, 2, 4, 1)])
        self.up2 = block(c2 + c1, c1)
        self.head = nn.Conv2d(c1 + channels, 1, 3, padding=1)

    def forward(self, x):
        x0 = (x - 128.0) / (self.spread[0] if len(self.spread) == 1 else torch.tensor(self.spread).view(1, -1, 1, 1))
        x1 = self.stem(x0)
        h = self.down(x1)
        for b in self.context:
            h = h + b(h)
        h = F.interpolate(h, scale_factor=2.0, mode='bilinear', align_corners=False)
        h = self.up2(torch.cat([h, x1], 1))
        h = F.interpolate(h, scale_factor=2.0, mode='bilinear', align_corners=False)
        return self.head(torch.cat([h, x0], 1))


def load(folder, channels=1):
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    x = np.fromfile(os.path.join(folder, 'x.u8'), np.uint8).reshape((meta['n'], channels, meta['th'], meta['tw']))
    y = np.fromfile(os.path.join(folder, 'y.u8'), np.uint8).reshape((meta['n'], 1, meta['th'], meta['tw']))
    return torch.from_numpy(x), torch.from_numpy(y)


def loss_fn(logits, y):
    """Binary cross-entropy over the labelled pixels (IGNORE left out)."""
    valid = (y != IGNORE).float()
    bce = F.binary_cross_entropy_with_logits(logits, (y == 1).float(), reduction='none')
    return (bce * valid).sum() / valid.sum().clamp(min=1)


class Exported(nn.Module):
    """The net as shipped: probabilities out."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.sigmoid(self.inner(x))


def export(net, path, example, input_name, output_name):
    net.eval()
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    torch.onnx.export(
        Exported(net), example, path, opset_version=13,
        input_names=[input_name], output_names=[output_name],
        dynamic_axes={input_name: {2: 'height', 3: 'width'}, output_name: {2: 'height', 3: 'width'}},
    )
    net.train()
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', flush=True)


def fit(net, xt, yt, *, steps, batch, lr, crop, eval_every, evaluate, save, flip=False):
    """AdamW with a one-cycle rate over random crop[0] x crop[1] windows of random batches of tiles
    (cheaper steps, and shifts as augmentation; `flip`: every other batch mirrored). `evaluate()`
    returns a line for the log; `save()` is called at every evaluation, so a long run can be judged
    (and stopped) on the real detector."""
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    n, _, th, tw = xt.shape
    ch, cw = crop
    t0 = time.time()
    total = 0.0
    for step in range(1, steps + 1):
        idx = torch.randint(0, n, (batch,))
        oy, ox = int(torch.randint(0, th - ch + 1, ())), int(torch.randint(0, tw - cw + 1, ()))
        xb = xt[idx, :, oy:oy + ch, ox:ox + cw].float()
        yb = yt[idx, :, oy:oy + ch, ox:ox + cw]
        if flip and step % 2:
            xb, yb = xb.flip(3), yb.flip(3)
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += float(loss)
        if step % eval_every == 0 or step == steps:
            print(f'step {step}/{steps} loss {total / eval_every:.4f} {time.time() - t0:.0f} s | val {evaluate()}', flush=True)
            total = 0.0
            save()
    save()


def arguments(data, out, steps, eval_every, batch):
    """The trainers' common command line, with each one's defaults; seeds torch and sets its threads."""
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=data)
    ap.add_argument('--out', default=out)
    ap.add_argument('--steps', type=int, default=steps)
    ap.add_argument('--eval-every', type=int, default=eval_every)
    ap.add_argument('--batch', type=int, default=batch)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--c1', type=int, default=12)
    ap.add_argument('--c2', type=int, default=24)
    return ap


def start(ap):
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return args
