"""Trains the inpainting model (model.py) on synthesiser clips (data.py). Resumable: every run
continues from <out>/ckpt/last.pt until the total time budget (summed over runs) is spent.

Stage 1 (temporal perception, the first --stage1-frac of the budget): the mask head learns to find
the overlay from the window, given a detector-like (incomplete) mask; the fill learns on the true
hole. Stage 2 (end to end): the fill runs on the given mask united with what the mask head senses,
so finding and erasing are trained together.

  /usr/bin/python3 training/train.py --data training/data/train --out training/runs/main --budget-min 90
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Sampler, load_clips  # noqa: E402
from model import InpaintNet, param_count  # noqa: E402

HOLE_WEIGHT = 6.0
CONSISTENCY_WEIGHT = 1.0
MASK_WEIGHT = 0.5
# |input - output| above this many levels counts as "erased" in the consistency term.
ERASE_LEVEL, ERASE_SOFTNESS = 6.0, 1.5


def fill_loss(fill, clean, weight):
    return ((fill - clean).abs() / 255.0 * weight).sum() / (weight.sum() * 3)


def mask_loss(logit, truth):
    bce = F.binary_cross_entropy_with_logits(logit, truth)
    p = torch.sigmoid(logit)
    dice = 1 - (2 * (p * truth).sum() + 1) / (p.sum() + truth.sum() + 1)
    return bce + dice


def consistency_loss(frames_cur, fill, n, k):
    """Design notes' logo prior: the binarised |input - output| of consecutive frames of one crop
    should not change (a static logo erased in another place or shape each frame is penalised)."""
    d = (frames_cur - fill).abs().mean(1, keepdim=True)
    b = torch.sigmoid((d - ERASE_LEVEL) / ERASE_SOFTNESS).reshape(k, n, 1, *d.shape[-2:])
    return b.var(0, unbiased=False).mean()


def psnr(fill, clean, region):
    mse = (((fill - clean) ** 2) * region).sum() / (region.sum() * 3).clamp(min=1)
    return 10 * math.log10(255.0 ** 2 / max(mse.item(), 1e-6))


@torch.no_grad()
def evaluate(net, batch):
    net.eval()
    out = {}
    truth = batch["true_holes"][:, 0]
    # Luma PSNR inside the true (grown) hole, as the benchmark scores it.
    y = lambda t: t[:, :1]  # noqa: E731
    fill, _, _, base = net(batch["frames"], batch["true_holes"], sense=False)
    out["psnr_base_true_mask"] = psnr(y(base), y(batch["clean"]), truth)
    out["psnr_model_true_mask"] = psnr(y(fill), y(batch["clean"]), truth)
    fill, logit, _, _ = net(batch["frames"], batch["given"], sense=True)
    out["psnr_model_given_degraded"] = psnr(y(fill), y(batch["clean"]), truth)
    out["psnr_input"] = psnr(y(batch["frames"][:, 0]), y(batch["clean"]), truth)
    p = torch.sigmoid(logit) > 0.5
    t = batch["truth"] > 0.5
    out["mask_iou"] = ((p & t).sum() / (p | t).sum().clamp(min=1)).item()
    net.train()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-min", type=float, default=90.0, help="total training time over all runs")
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--stage1-frac", type=float, default=0.15)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--threads", type=int, default=1, help="1 is faster than 2 on a busy shared 2-core machine (measured)")
    ap.add_argument("--clips", type=int, default=0, help="use only the first N clips (0 = all)")
    ap.add_argument("--val-clips", type=int, default=8, help="last N clips held out for validation")
    ap.add_argument("--val-items", type=int, default=32)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--min-texture", type=float, default=2.5, help="mostly skip crops smoother than this (mean |luma gradient|)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start a new run from this checkpoint's weights (the residual head zeroed, optimiser fresh)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(os.path.join(args.out, "ckpt"), exist_ok=True)
    log_path = os.path.join(args.out, "log.jsonl")

    t0 = time.time()
    clips = load_clips(args.data, args.clips or None)
    nval = min(args.val_clips, max(1, len(clips) // 4))
    train_clips, val_clips = clips[:-nval], clips[-nval:]
    print(f"loaded {len(clips)} clips ({len(train_clips)} train, {nval} val) in {time.time() - t0:.0f} s on {device}", flush=True)

    net = InpaintNet().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    state = dict(step=0, elapsed_s=0.0, best=-1.0, runs=0)
    last = os.path.join(args.out, "ckpt", "last.pt")
    if os.path.exists(last):
        ck = torch.load(last, map_location=device)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        print(f"resumed at step {state['step']}, {state['elapsed_s'] / 60:.1f} min spent", flush=True)
    elif args.init:
        ck = torch.load(args.init, map_location=device)
        net.load_state_dict(ck["model"] if "model" in ck else ck)
        torch.nn.init.zeros_(net.res.weight)
        torch.nn.init.zeros_(net.res.bias)
        print(f"initialised from {args.init} (residual head zeroed)", flush=True)
    state["runs"] += 1
    sampler = Sampler(train_clips, seed=args.seed * 1000 + state["step"], min_texture=args.min_texture)
    val_batch = {k: v.to(device) for k, v in Sampler(val_clips, seed=12345).batch(args.val_items).items()}
    budget_s = args.budget_min * 60
    log = open(log_path, "a")

    def write(rec):
        log.write(json.dumps(rec) + "\n")
        log.flush()

    def save(path):
        torch.save(dict(model=net.state_dict(), opt=opt.state_dict(), state=state), path + ".tmp")
        os.replace(path + ".tmp", path)

    write(dict(event="start", step=state["step"], params=param_count(net), device=str(device), threads=args.threads, clips=len(train_clips), budget_min=args.budget_min, min_texture=args.min_texture, init=args.init))
    run_start = time.time() - state["elapsed_s"]
    acc = {}
    while state["elapsed_s"] < budget_s and state["step"] < args.max_steps:
        stage = 1 if state["elapsed_s"] < args.stage1_frac * budget_s else 2
        frac = min(1.0, state["elapsed_s"] / budget_s)
        for g in opt.param_groups:
            g["lr"] = args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * frac)))
        b = {k: v.to(device) for k, v in sampler.batch(args.batch).items()}
        n, k = args.batch, sampler.k
        if stage == 1:
            fill, logit, _, _ = net(b["frames"], b["true_holes"], sense=False)
            logit = net.mask_head(b["frames"] / 255.0 - 0.5, b["given"])
            region = b["true_holes"][:, 0]
        else:
            fill, logit, hole, _ = net(b["frames"], b["given"], sense=True)
            region = torch.max(b["true_holes"][:, 0], hole)
        lf = fill_loss(fill, b["clean"], 1.0 + (HOLE_WEIGHT - 1.0) * region)
        lm = mask_loss(logit, b["truth"])
        lc = consistency_loss(b["frames"][:, 0], fill, n, k)
        loss = lf + MASK_WEIGHT * lm + CONSISTENCY_WEIGHT * lc
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["elapsed_s"] = time.time() - run_start
        for key, v in (("loss", loss), ("fill", lf), ("mask", lm), ("consistency", lc)):
            acc[key] = acc.get(key, 0.0) + v.item()
        acc["n"] = acc.get("n", 0) + 1
        if state["step"] % args.log_every == 0:
            rec = {key: round(v / acc["n"], 5) for key, v in acc.items() if key != "n"}
            write(dict(event="train", step=state["step"], stage=stage, min=round(state["elapsed_s"] / 60, 2), **rec))
            print(f"step {state['step']} stage {stage} {state['elapsed_s'] / 60:.1f} min {rec}", flush=True)
            acc = {}
        if state["step"] % args.ckpt_every == 0:
            save(last)
        if state["step"] % args.eval_every == 0:
            ev = evaluate(net, val_batch)
            write(dict(event="eval", step=state["step"], stage=stage, min=round(state["elapsed_s"] / 60, 2), **{k: round(v, 3) for k, v in ev.items()}))
            print(f"eval {ev}", flush=True)
            # Chosen checkpoint: best validation PSNR in the hole with the true mask, stage 2 only
            # (a stage-1 net has never filled a sensed hole).
            if stage == 2 and ev["psnr_model_true_mask"] > state["best"]:
                state["best"] = ev["psnr_model_true_mask"]
                save(os.path.join(args.out, "ckpt", "best.pt"))
    save(last)
    ev = evaluate(net, val_batch)
    write(dict(event="end", step=state["step"], min=round(state["elapsed_s"] / 60, 2), **{k: round(v, 3) for k, v in ev.items()}))
    if ev["psnr_model_true_mask"] > state["best"] or not os.path.exists(os.path.join(args.out, "ckpt", "best.pt")):
        state["best"] = ev["psnr_model_true_mask"]
        save(os.path.join(args.out, "ckpt", "best.pt"))
    print(f"done: step {state['step']}, {state['elapsed_s'] / 60:.1f} min, eval {ev}", flush=True)


if __name__ == "__main__":
    main()
