"""STTN-style temporal inpainting model, sized for region crops on 2 CPU cores.

Contract (also written next to the exported ONNX file, see export.py, and in models/README.md):
  inputs  frames [B, T, 3, H, W] float32, YUV byte values 0..255 (chroma upsampled to luma size),
                 T frames ordered by REF_AGES (0 = the frame to fill, then older ones)
          masks  [B, T, 1, H, W] float32, 1 = hole (pixels to replace), per frame where known
  outputs fill    [B, 3, H, W] float32 0..255: the completed current frame (whole crop)
          overlay [B, 1, H, W] float32 0..1: the mask head's belief that a pixel is overlay
          base    [B, 3, H, W] float32 0..255: the in-graph classical fill the residual was added to

The classical base fill (masked push-pull) is computed inside the graph, and the network predicts
a residual over it: training starts from a sound fill, and training and runtime share one
definition of that fill with no TypeScript/Python drift.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CROP_H, CROP_W = 64, 128
# Causal window: the frame itself, two neighbours, two sparse long-range references.
REF_AGES = (0, 1, 3, 7, 15)
T = len(REF_AGES)
PUSH_PULL_LEVELS = 5


def push_pull(x, w, levels=PUSH_PULL_LEVELS):
    """Masked push-pull fill: known pixels (weight w) are averaged down a pyramid and the holes are
    filled from the coarsest level that has data, blended up level by level. x [N,C,H,W], w [N,1,H,W]."""
    xs, ws = [x * w], [w]
    for _ in range(levels):
        xs.append(F.avg_pool2d(xs[-1], 2))
        ws.append(F.avg_pool2d(ws[-1], 2))
    cur = xs[-1] / ws[-1].clamp(min=1e-4)
    for lvl in range(levels - 1, -1, -1):
        up = F.interpolate(cur, scale_factor=2.0, mode="bilinear", align_corners=False)
        val = xs[lvl] / ws[lvl].clamp(min=1e-4)
        # A coarse cell with a few known children is trusted in proportion to how many it has.
        conf = (ws[lvl] * 2.0).clamp(max=1.0)
        cur = val * conf + up * (1.0 - conf)
    return cur


def conv(cin, cout, k=3, s=1, d=1):
    return nn.Conv2d(cin, cout, k, stride=s, padding=d * (k // 2), dilation=d)


class PatchAttention(nn.Module):
    """Multi-scale patch attention (STTN): each head cuts the feature map into patches of its own
    size; the current frame's patches query every frame's patches. Key patches that are mostly hole
    carry no information and are masked out."""

    def __init__(self, ch, patches=((4, 4), (2, 2))):
        super().__init__()
        self.patches = patches
        self.hc = ch // len(patches)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Conv2d(ch, ch, 1)
        self.v = nn.Conv2d(ch, ch, 1)
        self.out = nn.Conv2d(ch, ch, 1)

    def forward(self, cur, frames, hole):
        # cur [B,C,h,w]; frames [B,T,C,h,w]; hole [B,T,1,h,w] at feature resolution
        B, Tn, C, h, w = frames.shape
        flat = frames.reshape(B * Tn, C, h, w)
        q, k, v = self.q(cur), self.k(flat), self.v(flat)
        outs = []
        for i, (ph, pw) in enumerate(self.patches):
            sl = slice(i * self.hc, (i + 1) * self.hc)
            nh, nw = h // ph, w // pw
            d = self.hc * ph * pw

            def patches_of(t, n):
                # [n, hc, h, w] -> [n, nh*nw, hc*ph*pw]
                t = t.reshape(n, self.hc, nh, ph, nw, pw).permute(0, 2, 4, 1, 3, 5)
                return t.reshape(n, nh * nw, d)

            qq = patches_of(q[:, sl], B)  # [B, P, d]
            kk = patches_of(k[:, sl], B * Tn).reshape(B, Tn * nh * nw, d)
            vv = patches_of(v[:, sl], B * Tn).reshape(B, Tn * nh * nw, d)
            frac = F.avg_pool2d(hole.reshape(B * Tn, 1, h, w), (ph, pw)).reshape(B, 1, Tn * nh * nw)
            att = torch.matmul(qq, kk.transpose(1, 2)) / (d ** 0.5) - 1e4 * (frac > 0.5).float()
            o = torch.matmul(torch.softmax(att, dim=-1), vv)  # [B, P, d]
            o = o.reshape(B, nh, nw, self.hc, ph, pw).permute(0, 3, 1, 4, 2, 5).reshape(B, self.hc, h, w)
            outs.append(o)
        return self.out(torch.cat(outs, 1))


class Block(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.att = PatchAttention(ch)
        self.ff1 = conv(ch, ch)
        self.ff2 = nn.Conv2d(ch, ch, 1)

    def forward(self, cur, frames, hole):
        cur = cur + self.att(cur, frames, hole)
        return cur + self.ff2(F.leaky_relu(self.ff1(cur), 0.2))


class MaskHead(nn.Module):
    """Temporal perception: where is the overlay? Reads the current frame, the window's temporal
    mean and spread (a static overlay does not change while the scene does), and the given mask."""

    def __init__(self):
        super().__init__()
        self.c1 = conv(11, 8)
        self.c2 = conv(8, 16, s=2)
        self.c3 = conv(16, 16, d=2)
        self.c4 = conv(16 + 8, 8)
        self.c5 = conv(8, 1)

    def forward(self, x, given):
        # x [B,T,3,H,W] normalised, given [B,T,1,H,W]
        mean = x.mean(1)
        std = (x - mean.unsqueeze(1)).abs().mean(1)
        f = torch.cat([x[:, 0], mean, std * 4.0, given[:, 0], given.mean(1)], 1)
        a = F.leaky_relu(self.c1(f), 0.2)
        b = F.leaky_relu(self.c2(a), 0.2)
        b = F.leaky_relu(self.c3(b), 0.2)
        up = F.interpolate(b, scale_factor=2.0, mode="bilinear", align_corners=False)
        c = F.leaky_relu(self.c4(torch.cat([up, a], 1)), 0.2)
        return self.c5(c)


class InpaintNet(nn.Module):
    def __init__(self, c1=24, ch=48, blocks=3):
        super().__init__()
        self.mask_head = MaskHead()
        self.e1 = conv(4, c1, s=2)
        self.e2 = conv(c1, ch, s=2)
        self.blocks = nn.ModuleList([Block(ch) for _ in range(blocks)])
        self.d1 = conv(ch + c1, c1)
        self.d0 = conv(c1 + 4, 12)
        self.res = conv(12, 3)
        nn.init.zeros_(self.res.weight)
        nn.init.zeros_(self.res.bias)

    def forward(self, frames, masks, sense=True):
        """frames 0..255 [B,T,3,H,W], masks [B,T,1,H,W]. Returns (fill 0..255, overlay logit, hole, base)."""
        B, Tn, _, H, W = frames.shape
        x = frames / 255.0 - 0.5
        logit = self.mask_head(x, masks)
        hole_cur = torch.max(masks[:, 0], torch.sigmoid(logit)) if sense else masks[:, 0]
        hole = torch.cat([hole_cur.unsqueeze(1), masks[:, 1:]], 1)
        flat_x = x.reshape(B * Tn, 3, H, W)
        flat_h = hole.reshape(B * Tn, 1, H, W)
        base = push_pull(flat_x, 1.0 - flat_h)
        filled = flat_x * (1.0 - flat_h) + base * flat_h
        inp = torch.cat([filled, flat_h], 1)
        f1 = F.leaky_relu(self.e1(inp), 0.2)
        f2 = F.leaky_relu(self.e2(f1), 0.2)
        h4, w4 = H // 4, W // 4
        feats = f2.reshape(B, Tn, -1, h4, w4)
        hole4 = F.avg_pool2d(flat_h, 4).reshape(B, Tn, 1, h4, w4)
        cur = feats[:, 0]
        for blk in self.blocks:
            cur = blk(cur, feats, hole4)
        e1_cur = f1.reshape(B, Tn, -1, H // 2, W // 2)[:, 0]
        d1 = F.leaky_relu(self.d1(torch.cat([F.interpolate(cur, scale_factor=2.0, mode="bilinear", align_corners=False), e1_cur], 1)), 0.2)
        inp_cur = inp.reshape(B, Tn, 4, H, W)[:, 0]
        d0 = F.leaky_relu(self.d0(torch.cat([F.interpolate(d1, scale_factor=2.0, mode="bilinear", align_corners=False), inp_cur], 1)), 0.2)
        base_cur = base.reshape(B, Tn, 3, H, W)[:, 0]
        # The residual is gated by the hole: outside it the fill is the input by construction, so the
        # loss there no longer pulls the decoder towards zero everywhere (run 2's residual was noise).
        fill = (base_cur + self.res(d0) * hole_cur + 0.5) * 255.0
        return fill, logit, hole_cur, (base_cur + 0.5) * 255.0


class ExportWrapper(nn.Module):
    """What the ONNX file holds: clamped fill, the overlay probability and the base fill."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, frames, masks):
        fill, logit, _, base = self.net(frames, masks)
        return fill.clamp(0.0, 255.0), torch.sigmoid(logit), base


def param_count(m):
    return sum(p.numel() for p in m.parameters())


if __name__ == "__main__":
    net = InpaintNet()
    print("params", param_count(net), "mask head", param_count(net.mask_head))
    fr = torch.rand(2, T, 3, CROP_H, CROP_W) * 255
    ms = (torch.rand(2, T, 1, CROP_H, CROP_W) > 0.8).float()
    out = net(fr, ms)
    print([o.shape for o in out])
