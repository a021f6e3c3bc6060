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
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from segnet import SegNet, arguments, export, fit, load, start  # noqa: E402

CROP_H, CROP_W = 48, 192


def CaptionNet(c1=12, c2=24):
    """Luma only: captions are told by the shape of a line of glyphs, not its colour."""
    return SegNet(1, [64.0], c1, c2)


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


def main():
    ap = arguments('training/data/subtitles', 'models/subtitle-seg.onnx', steps=800, eval_every=100, batch=16)
    ap.add_argument('--val-tiles', type=int, default=150)
    args = start(ap)
    xt, yt = load(os.path.join(args.data, 'train'))
    xv, yv = load(os.path.join(args.data, 'val'))
    xv, yv = xv[:args.val_tiles], yv[:args.val_tiles]
    net = CaptionNet(args.c1, args.c2)
    print(f'{sum(p.numel() for p in net.parameters())} parameters, {len(xt)} training tiles', flush=True)
    fit(
        net, xt, yt, steps=args.steps, batch=args.batch, lr=args.lr, crop=(CROP_H, CROP_W), eval_every=args.eval_every,
        evaluate=lambda: ' '.join(f't{t}: R {r:.3f} P {p:.3f}' for t, (r, p) in evaluate(net, xv, yv).items()),
        save=lambda: export(net, args.out, torch.zeros(1, 1, 96, 320), 'luma', 'caption'),
    )
    torch.save(net.state_dict(), os.path.join(args.data, 'caption-net.pt'))


if __name__ == '__main__':
    main()
