"""Training windows from the synthesiser's clips (npm run synth:train; format in src/synth/README.md).

Crops are cut exactly as the runtime cuts them (src/filter/inpaint/): a box of CROP_H/s x CROP_W/s
frame pixels resampled to the model's fixed CROP_H x CROP_W by bilinear sampling at pixel centres,
luma and (half-size) chroma sampled at the same normalised positions, hole masks sampled from the
binary mask and thresholded at any coverage.
"""
import gzip
import json
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F

from model import CROP_H, CROP_W, REF_AGES

MASK_ALPHA_MIN = 3  # src/synth/clip.ts MASK_ALPHA_MIN
MIN_SCALE, MAX_SCALE = 0.4, 1.0


def decode_yuv(path, width, height):
    raw = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"],
        check=True, capture_output=True,
    ).stdout
    size = width * height * 3 // 2
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size)


class Clip:
    def __init__(self, d):
        truth = json.load(open(os.path.join(d, "truth.json")))
        self.w, self.h, self.n = truth["width"], truth["height"], truth["frames"]
        self.input = decode_yuv(os.path.join(d, "input.mkv"), self.w, self.h)
        self.clean = decode_yuv(os.path.join(d, "clean.mkv"), self.w, self.h)
        alpha = np.frombuffer(gzip.open(os.path.join(d, "alpha.u8.gz")).read(), dtype=np.uint8)
        self.mask = (alpha.reshape(self.n, self.h, self.w) >= MASK_ALPHA_MIN)
        if len(self.input) != self.n or len(self.clean) != self.n:
            raise ValueError(f"{d}: {len(self.input)}/{len(self.clean)} frames decoded, truth says {self.n}")

    def planes(self, yuv, f, box):
        """Y [1,1,h,w], U, V [1,1,h/2,w/2] float 0..255 of the even-aligned luma box (x0, y0, x1, y1)."""
        w, h = self.w, self.h
        x0, y0, x1, y1 = box
        a = yuv[f]
        y = a[: w * h].reshape(h, w)[y0:y1, x0:x1]
        u = a[w * h : w * h * 5 // 4].reshape(h // 2, w // 2)[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2]
        v = a[w * h * 5 // 4 :].reshape(h // 2, w // 2)[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2]
        t = lambda p: torch.from_numpy(np.ascontiguousarray(p, dtype=np.float32))[None, None]  # noqa: E731
        return t(y), t(u), t(v)


def load_clips(root, limit=None):
    index = json.load(open(os.path.join(root, "index.json")))
    ids = index["clips"][:limit] if limit else index["clips"]
    return [Clip(os.path.join(root, i)) for i in ids]


def crop_grid(x0, y0, s, fw, fh):
    """Normalised sampling grid [1,CROP_H,CROP_W,2] for a crop whose top-left is (x0, y0) in frame
    pixels and whose scale is s (model pixels per frame pixel). align_corners=False semantics: the
    same normalised position addresses luma and half-size chroma alike."""
    xs = x0 + (torch.arange(CROP_W, dtype=torch.float32) + 0.5) / s
    ys = y0 + (torch.arange(CROP_H, dtype=torch.float32) + 0.5) / s
    gx = (2 * xs / fw - 1).view(1, 1, CROP_W).expand(1, CROP_H, CROP_W)
    gy = (2 * ys / fh - 1).view(1, CROP_H, 1).expand(1, CROP_H, CROP_W)
    return torch.stack([gx, gy], -1)


def sample(t, grid, mode="bilinear"):
    return F.grid_sample(t, grid, mode=mode, padding_mode="border", align_corners=False)


def dilate(m, r):
    """Square dilation of a [N,1,H,W] 0/1 tensor by r pixels."""
    return F.max_pool2d(m, 2 * r + 1, stride=1, padding=r) if r > 0 else m


class Sampler:
    """Draws batches of windows: each item is K consecutive target frames (for the temporal
    consistency loss) of one crop, each with its REF_AGES window."""

    def __init__(self, clips, seed=0, k=2, min_texture=0.0):
        self.clips = clips
        self.k = k
        # Crops whose clean picture is smoother than this (mean absolute luma gradient, levels) are
        # mostly redrawn: any interpolation fills them, and they teach the fill nothing.
        self.min_texture = min_texture
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)

    def item(self):
        rng = self.rng
        clip = self.clips[rng.integers(len(self.clips))]
        span = REF_AGES[-1] + self.k - 1
        t = int(rng.integers(span, clip.n))
        s = float(rng.uniform(MIN_SCALE, MAX_SCALE)) if rng.random() < 0.7 else 1.0
        bw, bh = CROP_W / s, CROP_H / s
        ys, xs = np.nonzero(clip.mask[t])
        if len(xs) and rng.random() < 0.9:
            j = rng.integers(len(xs))
            cx, cy = xs[j] + rng.uniform(-bw / 4, bw / 4), ys[j] + rng.uniform(-bh / 4, bh / 4)
        else:
            cx, cy = rng.uniform(0, clip.w), rng.uniform(0, clip.h)
        x0 = float(np.clip(cx - bw / 2, 0, clip.w - bw))
        y0 = float(np.clip(cy - bh / 2, 0, clip.h - bh))
        # Only the part of the frame the crop reads (plus a margin for the bilinear taps) is decoded
        # to float; the grid is expressed relative to that box, which leaves the samples unchanged.
        bx0, by0 = max(0, int(x0) - 4) & ~1, max(0, int(y0) - 4) & ~1
        bx1, by1 = min(clip.w, (int(x0 + bw) + 6) & ~1), min(clip.h, (int(y0 + bh) + 6) & ~1)
        box = (bx0, by0, bx1, by1)
        grid = crop_grid(x0 - bx0, y0 - by0, s, bx1 - bx0, by1 - by0)
        flip = rng.random() < 0.5
        cache = {}

        def frame(f):
            if f not in cache:
                yi, ui, vi = clip.planes(clip.input, f, box)
                yc, uc, vc = clip.planes(clip.clean, f, box)
                m = torch.from_numpy(np.ascontiguousarray(clip.mask[f, by0:by1, bx0:bx1], dtype=np.float32))[None, None]
                # The runtime grows detector masks by a pixel (auto-filter MASK_GROW_PX) before filling.
                grown = dilate(m, 1)
                inp = torch.cat([sample(yi, grid), sample(ui, grid), sample(vi, grid)], 1)[0]
                cln = torch.cat([sample(yc, grid), sample(uc, grid), sample(vc, grid)], 1)[0]
                hole = (sample(grown, grid) > 0.001).float()[0]
                truth = (sample(m, grid) > 0.001).float()[0]
                out = [inp, cln, hole, truth]
                cache[f] = [o.flip(-1) for o in out] if flip else out
            return cache[f]

        policy_r = rng.random()
        wins = []
        for k in range(self.k):
            cur = t - k
            fr = [frame(cur - a) for a in REF_AGES]
            frames = torch.stack([f[0] for f in fr])
            holes = torch.stack([f[2] for f in fr])
            wins.append(dict(frames=frames, true_holes=holes, clean=fr[0][1], truth=fr[0][3]))
        # One detector behaviour per item: a missed overlay stays missed in consecutive frames.
        if policy_r < 0.2:
            given = [torch.zeros_like(w["true_holes"]) for w in wins]
        elif policy_r < 0.45:
            keep = (F.interpolate(torch.from_numpy(rng.random((1, 1, 4, 8)).astype(np.float32)), size=(CROP_H, CROP_W), mode="nearest")[0] > 0.35).float()
            given = [w["true_holes"] * keep for w in wins]
        else:
            given = [w["true_holes"] for w in wins]
        for w, g in zip(wins, given):
            w["given"] = g
        if self.min_texture > 0 and rng.random() < 0.8:
            y = wins[0]["clean"][0]
            texture = ((y[:, 1:] - y[:, :-1]).abs().mean() + (y[1:] - y[:-1]).abs().mean()) / 2
            if texture < self.min_texture:
                return self.item()
        return wins

    def batch(self, n):
        items = [self.item() for _ in range(n)]
        out = {}
        for key in ("frames", "true_holes", "clean", "truth", "given"):
            # [K*n, ...]: target k of every item, then the next k (consistency pairs are i and i+n).
            out[key] = torch.stack([items[i][k][key] for k in range(self.k) for i in range(n)])
        return out
