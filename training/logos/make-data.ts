import { createCanvas, type Image } from '@napi-rs/canvas';
import { downscaleChroma, downscaleLuma, workingScale } from '../../src/filter/detect/downscale.js';
import { LOGO_NET_COLUMNS } from '../../src/filter/detect/logo-net.js';
import { compositeYuv420p, overlayToYuv420p, type OverlayYuv } from '../../src/synth/colour.js';
import { MASK_ALPHA_MIN } from '../../src/synth/clip.js';
import { buildLayer, type ClipGeometry, type OverlaySpec } from '../../src/synth/layers.js';
import type { Rng } from '../../src/synth/rng.js';
import { gaussian, maxPool, runTileMaker, viewport } from '../tiles.js';

/**
 * Training tiles for the logo segmentation net, drawn by the synthesiser itself (one source of
 * truth for how logos look): a background photo viewport, usually a logo (static, or a dynamic
 * one at a random moment of its blink, fade, pulse or drift), sometimes captions (left out of
 * the loss) or a ticker (a negative), composited exactly as clips are (YUV 4:2:0), read back at the logo net's working
 * resolution the way the runtime reads a frame (downscale.ts). Truth is the logo's alpha >=
 * MASK_ALPHA_MIN (the bench's definition), max-pooled to the working grid.
 *
 * Held out: every photo the bench's clips use (quick and full, seeds 1-3), the bench's video and
 * the photos the test fixtures copy, so benchmark and test figures are measured on backgrounds the
 * net never saw.
 *
 * Output: x.u8 (Y, U, V planes per tile) and y.u8 (1 logo, 0 not, 255 caption: left out of
 * the loss), n x C x T x T.
 * Run: npm run build && node dist/training/logos/make-data.js --out training/data/logos/train --samples 12000
 */
const T = 96;
/** Working-resolution frame sizes (LOGO_NET_COLUMNS wide at most, as the runtime reads them). */
const SIZES: readonly [number, number][] = [[320, 180], [320, 240], [320, 200], [288, 216], [256, 144], [320, 180]];
const PAD = 128;
/** Truth label the loss skips. */
const IGNORE = 255;

async function layerAt(spec: OverlaySpec, g: ClipGeometry, rng: Rng): Promise<OverlayYuv> {
  const layer = await buildLayer(spec, g, rng);
  const canvas = createCanvas(g.width, g.height);
  let f = rng.int(0, g.frames - 1);
  if (spec.kind === 'subtitles') f = (layer.params.cues as { start: number }[])[0]!.start;
  layer.draw(canvas.getContext('2d'), f);
  return overlayToYuv420p(canvas.getContext('2d').getImageData(0, 0, g.width, g.height).data, g.width, g.height);
}

/** Max-pooled logo truth (1 where any pixel is logo), IGNORE where no pixel is logo and any is ignored. */
function ignoreAware(truth: Uint8Array, w: number, h: number, s: number): Uint8Array {
  const logo = maxPool(truth.map((v) => (v === 1 ? 1 : 0)), w, h, s);
  const skip = maxPool(truth.map((v) => (v === IGNORE ? 1 : 0)), w, h, s);
  return logo.map((v, i) => (v ? 1 : skip[i] ? IGNORE : 0));
}

/** Separable [1 2 1]/4 blur of a float plane: the softness of a scaled or compressed video. */
function blur(p: Float32Array, w: number, h: number): void {
  const tmp = new Float32Array(w * h);
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) tmp[j * w + i] = (p[j * w + Math.max(0, i - 1)]! + 2 * p[j * w + i]! + p[j * w + Math.min(w - 1, i + 1)]!) / 4;
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) p[j * w + i] = (tmp[Math.max(0, j - 1) * w + i]! + 2 * tmp[j * w + i]! + tmp[Math.min(h - 1, j + 1) * w + i]!) / 4;
}

async function sample(img: Image, rng: Rng, x: Uint8Array, y: Uint8Array): Promise<boolean> {
  const [ww, wh] = rng.pick(SIZES);
  // Frames as the runtime sees them: 320-wide ones read whole, 640-wide at 1/2, 720p-like at 1/4.
  const s = rng.pick([1, 2, 2, 4]);
  const g: ClipGeometry = { width: ww * s, height: wh * s, fps: 25, frames: 100 };
  let frame = viewport(img, g.width, g.height, rng);
  const truth = new Uint8Array(g.width * g.height);
  const hasLogo = rng.chance(0.7);
  if (hasLogo) {
    const spec: OverlaySpec = rng.chance(0.7) ? { kind: 'logo', placement: rng.chance(0.5) ? 'anywhere' : 'corner' } : { kind: 'dynamic-logo' };
    const logo = await layerAt(spec, g, rng.fork(1));
    frame = compositeYuv420p(frame, logo, g.width, g.height);
    for (let i = 0; i < truth.length; i++) truth[i] = logo.alpha[i]! >= MASK_ALPHA_MIN ? 1 : 0;
  }
  // Captions are left out of the loss (255) rather than taught as "not logo": a text-only bug
  // ("KINO" in outlined letters) looks like a word of a caption, and taught so the net missed every
  // one (bench static-logo-0: mean probability 0.03 over the logo). The caption net finds captions,
  // and the filter gives a look-alike over a caption to the caption. Ticker bars stay negatives.
  if (rng.chance(0.3)) {
    const subs = await layerAt({ kind: 'subtitles' }, g, rng.fork(2));
    frame = compositeYuv420p(frame, subs, g.width, g.height);
    for (let i = 0; i < truth.length; i++) if (subs.alpha[i]! >= MASK_ALPHA_MIN && !truth[i]) truth[i] = IGNORE;
  }
  if (rng.chance(0.1)) frame = compositeYuv420p(frame, await layerAt({ kind: 'ticker' }, g, rng.fork(3)), g.width, g.height);
  const scale = workingScale(g.width, LOGO_NET_COLUMNS);
  const w = Math.floor(g.width / scale), h = Math.floor(g.height / scale);
  const planes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)] as const;
  downscaleLuma(frame, g.width, g.height, scale, planes[0]);
  downscaleChroma(frame, g.width, g.height, scale, planes[1], planes[2]);
  const workTruth = scale === 1 ? truth : ignoreAware(truth, g.width, g.height, scale);
  if (rng.chance(0.2)) for (const p of planes) blur(p, w, h);
  if (rng.chance(0.5)) {
    const sigma = rng.range(0.5, 3);
    for (let i = 0; i < w * h; i++) planes[0][i] = planes[0][i]! + sigma * gaussian(rng);
  }
  // Usually a tile around the logo (anywhere it still lies inside), otherwise anywhere.
  let ox = rng.int(0, Math.max(0, w - T)), oy = rng.int(0, Math.max(0, h - T));
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) if (workTruth[j * w + i] === 1) { x0 = Math.min(x0, i); x1 = Math.max(x1, i); y0 = Math.min(y0, j); y1 = Math.max(y1, j); }
  if (x1 >= 0 && rng.chance(0.8)) {
    ox = Math.max(0, Math.min(w - T, rng.int(x1 - T + 1, x0)));
    oy = Math.max(0, Math.min(h - T, rng.int(y1 - T + 1, y0)));
  }
  x.fill(PAD);
  y.fill(0);
  let positives = 0;
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < Math.min(T, h); j++) {
      for (let i = 0; i < Math.min(T, w); i++) {
        const src = (oy + j) * w + ox + i;
        x[c * T * T + j * T + i] = Math.max(0, Math.min(255, Math.round(planes[c]![src]!)));
        if (c === 0) {
          y[j * T + i] = workTruth[src]!;
          if (workTruth[src] === 1) positives++;
        }
      }
    }
  }
  return positives > 0;
}

runTileMaker({ defaultOut: 'training/data/logos/train', seedSalt: 6151, xBytes: 3 * T * T, yBytes: T * T, meta: { channels: 3, th: T, tw: T }, positivesKey: 'withLogo', sample });
