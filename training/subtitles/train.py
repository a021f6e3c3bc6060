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
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from segnet import block, export, fit, load  # noqa: E402

CROP_H, CROP_W = 48, 192


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
    fit(
        net, xt, yt, steps=args.steps, batch=args.batch, lr=args.lr, crop=(CROP_H, CROP_W), eval_every=args.eval_every,
        evaluate=lambda: ' '.join(f't{t}: R {r:.3f} P {p:.3f}' for t, (r, p) in evaluate(net, xv, yv).items()),
        save=lambda: export(net, args.out, torch.zeros(1, 1, 96, 320), 'luma', 'caption'),
    )
    torch.save(net.state_dict(), os.path.join(args.data, 'caption-net.pt'))


if __name__ == '__main__':
    main()
