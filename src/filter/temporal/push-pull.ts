/**
 * Pull-push interpolation of scattered values (Gortler et al., "The Lumigraph", 1996): known cells
 * are averaged down a pyramid of halved grids, then the coarse averages are pushed back up
 * (bilinearly) into the cells that had no value. O(n), any mask shape, smooth result: used to
 * spread the correction between remembered pixels and the spatial fill over the pixels nothing
 * remembers, so the two meet without a step.
 */
interface PyramidLevel {
  width: number;
  height: number;
  v: Float32Array;
  a: Float32Array;
}

export class PushPull {
  private levels: PyramidLevel[] = [];
  /** Per fine column, the push's two coarse columns and weight (push reads them for every row). */
  private cols = { x0: new Int32Array(0), x1: new Int32Array(0), tx: new Float64Array(0) };

  /**
   * `v` and `a` are width x height, row-major: a value and its weight (0..1) per cell. Cells of
   * weight below 1 are replaced in place by a blend of their own value and the interpolation from
   * around them (cells of weight 0 by the interpolation alone). With no weight anywhere, v becomes 0.
   */
  fill(v: Float32Array, a: Float32Array, width: number, height: number): void {
    const levels: PyramidLevel[] = [{ width, height, v, a }];
    for (let k = 0, w = width, h = height; w > 1 || h > 1; k++) {
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
      levels.push(this.level(k, w, h));
    }
    for (let k = 0; k + 1 < levels.length; k++) pull(levels[k]!, levels[k + 1]!);
    const top = levels[levels.length - 1]!;
    if (top.a[0]! <= 0) top.v[0] = 0;
    for (let k = levels.length - 2; k >= 0; k--) push(levels[k + 1]!, levels[k]!, this.columns(levels[k]!.width, levels[k + 1]!.width));
  }

  private columns(fw: number, cw: number): PushColumns {
    if (this.cols.x0.length < fw) this.cols = { x0: new Int32Array(fw), x1: new Int32Array(fw), tx: new Float64Array(fw) };
    const { x0: xs0, x1: xs1, tx: txs } = this.cols;
    for (let x = 0; x < fw; x++) {
      const cx = Math.min(cw - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const x0 = Math.min(cw - 1, Math.floor(cx));
      xs0[x] = x0;
      xs1[x] = Math.min(cw - 1, x0 + 1);
      txs[x] = cx - x0;
    }
    return this.cols;
  }

  private level(k: number, width: number, height: number): PyramidLevel {
    let l = this.levels[k];
    if (!l || l.v.length < width * height) {
      l = { width, height, v: new Float32Array(width * height), a: new Float32Array(width * height) };
      this.levels[k] = l;
    }
    l.width = width;
    l.height = height;
    return l;
  }
}

interface PushColumns {
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly tx: Float64Array;
}

function pull(fine: PyramidLevel, coarse: PyramidLevel): void {
  const { width: fw, height: fh, v, a } = fine;
  const { width: cw, height: ch } = coarse;
  const cv = coarse.v, ca = coarse.a;
  for (let y = 0; y < ch; y++) {
    const full = 2 * y + 1 < fh;
    const r0 = 2 * y * fw, r1 = r0 + fw;
    for (let x = 0; x < cw; x++) {
      let sa = 0;
      let sv = 0;
      const fx = 2 * x;
      if (full && fx + 1 < fw) {
        // The four cells in the order the general case below adds them.
        const i = r0 + fx, j = r1 + fx;
        sa += a[i]!;
        sv += a[i]! * v[i]!;
        sa += a[i + 1]!;
        sv += a[i + 1]! * v[i + 1]!;
        sa += a[j]!;
        sv += a[j]! * v[j]!;
        sa += a[j + 1]!;
        sv += a[j + 1]! * v[j + 1]!;
      } else {
        for (let dy = 0; dy < 2; dy++) {
          const fy = 2 * y + dy;
          if (fy >= fh) break;
          for (let dx = 0; dx < 2; dx++) {
            if (fx + dx >= fw) break;
            const i = fy * fw + fx + dx;
            sa += a[i]!;
            sv += a[i]! * v[i]!;
          }
        }
      }
      const c = y * cw + x;
      ca[c] = sa > 1 ? 1 : sa;
      cv[c] = sa > 0 ? sv / sa : 0;
    }
  }
}

function push(coarse: PyramidLevel, fine: PyramidLevel, cols: PushColumns): void {
  const { width: cw, height: ch, v: cv } = coarse;
  const { width: fw, height: fh, v, a } = fine;
  const { x0: xs0, x1: xs1, tx: txs } = cols;
  for (let y = 0; y < fh; y++) {
    // Fine cell centre in coarse coordinates.
    const cy = Math.min(ch - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.min(ch - 1, Math.floor(cy));
    const y1 = Math.min(ch - 1, y0 + 1);
    const ty = cy - y0;
    const r0 = y0 * cw, r1 = y1 * cw;
    for (let x = 0; x < fw; x++) {
      const i = y * fw + x;
      const wa = a[i]!;
      if (wa >= 1) continue;
      const x0 = xs0[x]!, x1 = xs1[x]!, tx = txs[x]!;
      const top = cv[r0 + x0]! + tx * (cv[r0 + x1]! - cv[r0 + x0]!);
      const bottom = cv[r1 + x0]! + tx * (cv[r1 + x1]! - cv[r1 + x0]!);
      const up = top + ty * (bottom - top);
      v[i] = wa * v[i]! + (1 - wa) * up;
    }
  }
}
