"""Trains the logo segmentation net on tiles from make-data.ts and exports it to ONNX.

The caption net's shape (training/subtitles/train.py) with colour in: two stride-2 steps to 1/4
resolution, four dilated 3x3 blocks there (a receptive field of ~90 working pixels, wider than
any logo at the net's resolution, so it sees a graphic against the scene around it), and skips
back up to the input resolution, where the last 3x3 layer sees the input again to place the
anti-aliased edge. Colour matters here as it does not for captions: channel bugs are flat,
saturated colours that photos seldom hold.

Input 'yuv' [1,3,H,W] float32 0..255 (Y, U, V at the working resolution; H, W multiples of 4),
output 'logo' [1,1,H,W] probability that the pixel is part of a logo (alpha >= 3).

Run with Debian's python (torch 1.13, CPU):
  nice -n 10 /usr/bin/python3 training/logos/train.py --data training/data/logos --out models/logo-seg.onnx
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from segnet import SegNet, arguments, export, fit, load, start  # noqa: E402

CROP = 64


def LogoNet(c1=12, c2=24):
    """Y, U and V: luma spread over ~64 levels, chroma over ~32, both about unit scale."""
    return SegNet(3, [64.0, 32.0, 32.0], c1, c2)


@torch.no_grad()
def evaluate(net, x, y, thresholds=(0.3, 0.5, 0.7)):
    """Pixel recall and precision, and the share of logo-free tiles with any pixel found."""
    net.eval()
    counts = {t: [0, 0, 0, 0] for t in thresholds}  # tp, found, truth, false tiles
    empty = 0
    for i in range(0, len(x), 64):
        p = torch.sigmoid(net(x[i:i + 64].float()))
        truth = y[i:i + 64] == 1
        valid = y[i:i + 64] != 255
        none = truth.flatten(1).sum(1) == 0
        empty += int(none.sum())
        for t in thresholds:
            found = (p >= t) & valid
            counts[t][0] += int((found & truth).sum())
            counts[t][1] += int(found.sum())
            counts[t][2] += int(truth.sum())
            counts[t][3] += int((found.flatten(1).sum(1)[none] >= 4).sum())
    net.train()
    return {t: (c[0] / max(1, c[2]), c[0] / max(1, c[1]), c[3] / max(1, empty)) for t, c in counts.items()}


def main():
    ap = arguments('training/data/logos', 'models/logo-seg.onnx', steps=10000, eval_every=1000, batch=32)
    args = start(ap)
    xt, yt = load(os.path.join(args.data, 'train'), channels=3)
    xv, yv = load(os.path.join(args.data, 'val'), channels=3)
    net = LogoNet(args.c1, args.c2)
    print(f'{sum(p.numel() for p in net.parameters())} parameters, {len(xt)} training tiles', flush=True)
    fit(
        net, xt, yt, steps=args.steps, batch=args.batch, lr=args.lr, crop=(CROP, CROP), eval_every=args.eval_every, flip=True,
        evaluate=lambda: ' '.join(f't{t}: R {r:.3f} P {p:.3f} FT {f:.3f}' for t, (r, p, f) in evaluate(net, xv, yv).items()),
        save=lambda: export(net, args.out, torch.zeros(1, 3, 96, 96), 'yuv', 'logo'),
    )
    torch.save(net.state_dict(), os.path.join(args.data, 'logo-net.pt'))


if __name__ == '__main__':
    main()
