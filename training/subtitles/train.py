"""Trains the subtitle segmentation net on tiles from make-data.ts and exports it to ONNX.

A tiny encoder-decoder: two stride-2 steps to 1/4 resolution, four dilated 3x3 blocks there (a
receptive field of ~90 px at the working resolution, wider than a glyph, so it tells a line of
text from texture), and skips back up to the input resolution, where the last 3x3 layer sees the
input again to place the anti-aliased edge. About 1.1 k multiply-adds per pixel.

Input 'luma' [1,1,H,W] float32 0..255 (H, W multiples of 4), output 'caption' [1,1,H,W]
probability that the pixel is part of a caption (alpha >= 3).

Run with Debian's python (torch 1.13, CPU):
  nice -n 10 /usr/bin/python3 training/subtitles/train.py --data training/data/subtitles --out models/subtitle-seg.onnx
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CROP_H, CROP_W = 48, 192


def block(cin, cout, stride=1, dilation=1):
    # No batch norm: on a CPU it costs as much as the convolutions, and a net this small trains without it.
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation), nn.ReLU(inplace=True))


class CaptionNet(nn.Module):
    def __init__(self, c1=12, c2=24):
        super().__init__()
        self.stem = block(1, c1, stride=2)
        self.down = block(c1, c2, stride=2)
        self.context = nn.ModuleList([block(c2, c2, dilation=d) for d in (1, 2, 4, 1)])
        self.up2 = block(c2 + c1, c1)
        self.head = nn.Conv2d(c1 + 1, 1, 3, padding=1)

    def forward(self, luma):
        x0 = (luma - 128.0) / 64.0
        x1 = self.stem(x0)
        x = self.down(x1)
        for b in self.context:
            x = x + b(x)
        x = F.interpolate(x, scale_factor=2.0, mode='bilinear', align_corners=False)
        x = self.up2(torch.cat([x, x1], 1))
        x = F.interpolate(x, scale_factor=2.0, mode='bilinear', align_corners=False)
        return self.head(torch.cat([x, x0], 1))


def load(folder):
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    shape = (meta['n'], 1, meta['th'], meta['tw'])
    x = np.fromfile(os.path.join(folder, 'x.u8'), np.uint8).reshape(shape)
    y = np.fromfile(os.path.join(folder, 'y.u8'), np.uint8).reshape(shape)
    return torch.from_numpy(x), torch.from_numpy(y)


def loss_fn(logits, y):
    valid = (y != 255).float()
    target = (y == 1).float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    return (bce * valid).sum() / valid.sum().clamp(min=1)


@torch.no_grad()
def evaluate(net, x, y, thresholds=(0.2, 0.3, 0.4, 0.5, 0.6)):
    net.eval()
    counts = {t: [0, 0, 0] for t in thresholds}  # tp, found, truth
    for i in range(0, len(x), 64):
        p = torch.sigmoid(net(x[i:i + 64].float()))
        yy = y[i:i + 64]
        valid = yy != 255
        truth = (yy == 1) & valid
        for t in thresholds:
            found = (p >= t) & valid
            counts[t][0] += int((found & truth).sum())
            counts[t][1] += int(found.sum())
            counts[t][2] += int(truth.sum())
    net.train()
    return {t: (c[0] / max(1, c[2]), c[0] / max(1, c[1])) for t, c in counts.items()}


class Exported(nn.Module):
    """The net as shipped: probabilities out."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, luma):
        return torch.sigmoid(self.inner(luma))


def export(net, path):
    net.eval()
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    torch.onnx.export(
        Exported(net), torch.zeros(1, 1, 96, 320), path, opset_version=13,
        input_names=['luma'], output_names=['caption'],
        dynamic_axes={'luma': {2: 'height', 3: 'width'}, 'caption': {2: 'height', 3: 'width'}},
    )
    net.train()
    print(f'wrote {path} ({os.path.getsize(path)} bytes)', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='training/data/subtitles')
    ap.add_argument('--out', default='models/subtitle-seg.onnx')
    ap.add_argument('--steps', type=int, default=800)
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--val-tiles', type=int, default=150)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--c1', type=int, default=12)
    ap.add_argument('--c2', type=int, default=24)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xt, yt = load(os.path.join(args.data, 'train'))
    xv, yv = load(os.path.join(args.data, 'val'))
    xv, yv = xv[:args.val_tiles], yv[:args.val_tiles]
    net = CaptionNet(args.c1, args.c2)
    print(f'{sum(p.numel() for p in net.parameters())} parameters, {len(xt)} training tiles', flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    n, _, th, tw = xt.shape
    t0 = time.time()
    total = 0.0
    for step in range(1, args.steps + 1):
        # A random CROP_H x CROP_W window of a batch of tiles: cheaper steps, and shifts as augmentation.
        idx = torch.randint(0, n, (args.batch,))
        oy, ox = int(torch.randint(0, th - CROP_H + 1, ())), int(torch.randint(0, tw - CROP_W + 1, ()))
        loss = loss_fn(net(xt[idx, :, oy:oy + CROP_H, ox:ox + CROP_W].float()), yt[idx, :, oy:oy + CROP_H, ox:ox + CROP_W])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += float(loss)
        if step % args.eval_every == 0 or step == args.steps:
            scores = evaluate(net, xv, yv)
            line = ' '.join(f't{t}: R {r:.3f} P {p:.3f}' for t, (r, p) in scores.items())
            print(f'step {step}/{args.steps} loss {total / args.eval_every:.4f} {time.time() - t0:.0f} s | val {line}', flush=True)
            total = 0.0
            # Exported at every evaluation: a long run can be judged (and stopped) on the real detector.
            export(net, args.out)
    export(net, args.out)
    torch.save(net.state_dict(), os.path.join(args.data, 'caption-net.pt'))


if __name__ == '__main__':
    main()
