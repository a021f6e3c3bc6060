/**
 * The camera model of the temporal fill: a zoom plus a shift, `x -> s * x + tx`, `y -> s * y + ty`,
 * in luma pixel coordinates (pixel centres at integers).
 *
 * Why no rotation: broadcast cameras pan, tilt and zoom but rarely roll, and an axis-aligned map
 * keeps every resampling separable (a row pass and a column pass with per-row and per-column
 * weights), which is what makes copying remembered background cheap enough to run live.
 */
export interface Zoom {
  readonly s: number;
  readonly tx: number;
  readonly ty: number;
}

export const IDENTITY_ZOOM: Zoom = { s: 1, tx: 0, ty: 0 };

/** `outer(inner(x))`. */
export function composeZoom(outer: Zoom, inner: Zoom): Zoom {
  return { s: outer.s * inner.s, tx: outer.s * inner.tx + outer.tx, ty: outer.s * inner.ty + outer.ty };
}

export function invertZoom(z: Zoom): Zoom {
  return { s: 1 / z.s, tx: -z.tx / z.s, ty: -z.ty / z.s };
}

/**
 * The same map on the half-resolution chroma grid of yuv420p. A chroma sample c sits at luma
 * position 2c + 0.5 (centred on its 2x2 footprint): conjugating by that gives the chroma map.
 */
export function chromaZoom(z: Zoom): Zoom {
  return { s: z.s, tx: (z.tx + (z.s - 1) * 0.5) / 2, ty: (z.ty + (z.s - 1) * 0.5) / 2 };
}

export function isIdentityZoom(z: Zoom): boolean {
  return z.s === 1 && z.tx === 0 && z.ty === 0;
}
