"""What the detector nets' trainers (training/subtitles, training/logos) share: the layer they are
built of, the loss, the training loop over random crops of uint8 tiles, and the ONNX export."""
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
