"""Exports a checkpoint to ONNX (opset 17, the runtime's fixed crop shape, dynamic batch) with a
sidecar JSON the runtime reads (shape, reference ages, input/output names), and optionally a parity
fixture: inputs and PyTorch outputs as raw float32 for test/inpaint-model.test.ts to compare with
onnxruntime-node.

  /usr/bin/python3 training/export.py --ckpt training/runs/main/chosen.pt --out models/sttn-inpaint.onnx
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import CROP_H, CROP_W, PUSH_PULL_LEVELS, REF_AGES, T, ExportWrapper, InpaintNet, param_count  # noqa: E402

OPSET = 17
INPUTS = ["frames", "masks"]
OUTPUTS = ["fill", "overlay", "base"]


def load_net(ckpt):
    net = InpaintNet()
    ck = torch.load(ckpt, map_location="cpu")
    net.load_state_dict(ck["model"] if "model" in ck else ck)
    return net.eval(), ck.get("state", {})


def example_inputs(batch, seed):
    """A plausible window: smooth random pictures with a box-shaped hole, the same in every frame."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(batch, 1, 3, CROP_H // 8, CROP_W // 8, generator=g) * 255
    frames = torch.nn.functional.interpolate(base.reshape(batch, 3, CROP_H // 8, CROP_W // 8), size=(CROP_H, CROP_W), mode="bilinear", align_corners=False)
    frames = frames.unsqueeze(1).repeat(1, T, 1, 1, 1) + torch.rand(batch, T, 3, CROP_H, CROP_W, generator=g) * 20
    masks = torch.zeros(batch, T, 1, CROP_H, CROP_W)
    masks[:, :, :, 20:44, 40:90] = 1
    frames[:, :, :, 24:40, 50:80] = 235.0  # an overlay under the hole
    return frames.clamp(0, 255), masks


def export(net, out, meta):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    wrapper = ExportWrapper(net).eval()
    frames, masks = example_inputs(1, 0)
    torch.onnx.export(
        wrapper, (frames, masks), out, opset_version=OPSET, input_names=INPUTS, output_names=OUTPUTS,
        dynamic_axes={n: {0: "batch"} for n in INPUTS + OUTPUTS}, do_constant_folding=True,
    )
    import onnx

    model = onnx.load(out)
    onnx.checker.check_model(model)
    sidecar = dict(
        format="clearcast-inpaint/1",
        onnx=os.path.basename(out),
        opset=OPSET,
        inputs=INPUTS,
        outputs=OUTPUTS,
        cropHeight=CROP_H,
        cropWidth=CROP_W,
        refAges=list(REF_AGES),
        pushPullLevels=PUSH_PULL_LEVELS,
        params=param_count(net),
        **meta,
    )
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump(sidecar, f, indent=1)
    return sidecar


def write_parity(net, folder, batch=2):
    """Raw little-endian float32 files plus a JSON of names and shapes."""
    os.makedirs(folder, exist_ok=True)
    frames, masks = example_inputs(batch, 7)
    with torch.no_grad():
        fill, overlay, base = ExportWrapper(net)(frames, masks)
    spec = {}
    for name, t in (("frames", frames), ("masks", masks), ("fill", fill), ("overlay", overlay), ("base", base)):
        arr = t.detach().numpy().astype("<f4")
        arr.tofile(os.path.join(folder, f"{name}.f32"))
        spec[name] = list(arr.shape)
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump(spec, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--parity", help="folder for the PyTorch-vs-onnxruntime parity fixture")
    args = ap.parse_args()
    net, state = load_net(args.ckpt)
    meta = dict(trainingSteps=state.get("step"), trainingMinutes=round(state.get("elapsed_s", 0) / 60, 1))
    sidecar = export(net, args.out, meta)
    if args.parity:
        write_parity(net, args.parity)
    print(json.dumps(sidecar))


if __name__ == "__main__":
    main()
