"""How much of each hole the model's window could show (a diagnostic, not part of training).

For every training clip with a camera path (pans and zooms over photos; video clips have none and
still shots reveal nothing), the share of overlay pixels of frame t whose scene point is in view,
outside the overlay mask grown by 1 px, in frame t - a: for the model's reference ages (REF_AGES),
and for every age the clip allows. The camera path is the synthesiser's (src/synth/sources.ts:
smoothstep between two poses), so the correspondence is exact.

    /usr/bin/python3 training/revealed.py training/data/train [max clips]
"""
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import torch

from data import MASK_ALPHA_MIN, dilate
from model import REF_AGES


def photo_size(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
        capture_output=True, text=True, check=True,
    ).stdout
    w, h = out.strip().split(",")
    return int(w), int(h)


def main():
    root = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    ages = [a for a in REF_AGES if a > 0]
    ids = json.load(open(os.path.join(root, "index.json")))["clips"][:limit]
    total = in_window = in_clip = clips = 0
    for cid in ids:
        d = os.path.join(root, cid)
        truth = json.load(open(os.path.join(d, "truth.json")))
        src = truth["source"]
        if src["kind"] != "pan":
            continue
        w, h, n = truth["width"], truth["height"], truth["frames"]
        iw, ih = photo_size(src["photo"])
        cover = max(w / iw, h / ih)
        cam = src["camera"]

        def pose(f):
            t = f / (n - 1)
            t = t * t * (3 - 2 * t)
            lerp = lambda k: cam["from"][k] + (cam["to"][k] - cam["from"][k]) * t  # noqa: E731
            return cover * lerp("zoom"), lerp("cx"), lerp("cy")

        alpha = np.frombuffer(gzip.open(os.path.join(d, "alpha.u8.gz")).read(), dtype=np.uint8).reshape(n, h, w)
        mask = alpha >= MASK_ALPHA_MIN
        grown = dilate(torch.from_numpy(mask).float()[:, None], 1)[:, 0].numpy() > 0
        clips += 1
        for f in range(max(ages), n):
            ys, xs = np.nonzero(mask[f])
            if len(xs) == 0:
                continue
            s, cx, cy = pose(f)
            # Photo coordinates of each hole pixel's centre, then where each earlier frame showed them.
            px = (xs + 0.5 - w / 2) / s + cx
            py = (ys + 0.5 - h / 2) / s + cy
            seen_window = np.zeros(len(xs), bool)
            seen_clip = np.zeros(len(xs), bool)
            for a in range(1, f + 1):
                s2, cx2, cy2 = pose(f - a)
                x2 = np.floor((px - cx2) * s2 + w / 2).astype(int)
                y2 = np.floor((py - cy2) * s2 + h / 2).astype(int)
                inside = (x2 >= 0) & (x2 < w) & (y2 >= 0) & (y2 < h)
                shown = np.zeros(len(xs), bool)
                shown[inside] = ~grown[f - a][y2[inside], x2[inside]]
                seen_clip |= shown
                if a in ages:
                    seen_window |= shown
            total += len(xs)
            in_window += int(seen_window.sum())
            in_clip += int(seen_clip.sum())
    if total == 0:
        print("no overlay pixels in pan clips")
        return
    print(f"{clips} pan clips, {total} overlay pixels (frames {max(ages)}+): shown in a reference frame at ages {ages}: "
          f"{in_window / total:.3f}; at any earlier age in the clip: {in_clip / total:.3f}")


if __name__ == "__main__":
    main()
