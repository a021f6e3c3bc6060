import { createCanvas, type Image } from '@napi-rs/canvas';
import { captionBands, workingSize } from '../../src/filter/detect/subtitle-bands.js';
import { downscaleLuma } from '../../src/filter/detect/downscale.js';
import { blendByte, overlayToYuv420p } from '../../src/synth/colour.js';
import { MASK_ALPHA_MIN } from '../../src/synth/clip.js';
import { buildLayer, type ClipGeometry, type OverlaySpec } from '../../src/synth/layers.js';
import type { Rng } from '../../src/synth/rng.js';
import { gaussian, maxPool, runTileMaker, viewport } from '../tiles.js';

/**
 * Training tiles for the subtitle segmentation net, drawn by the synthesiser itself (one source of
 * truth for how captions look): a background photo viewport, sometimes a logo, usually a caption
 * cue from `buildLayer`, composited exactly as clips are, cut to the caption band the detector
 * reads, at the detector's working resolution. Truth is the caption's alpha >= MASK_ALPHA_MIN (the
 * bench's definition); logos are negatives.
 *
 * Held out: every photo the bench's clips use (quick and full, seeds 1-3), the bench's video and
 * the test fixtures' photos (training/tiles.ts), so benchmark figures are measured on backgrounds
 * the net never saw; fonts are the synthesiser's
 * (DejaVu, Liberation, Noto CJK), so a font installed beside them is unseen too.
 *
 * Output: x.u8 (luma) and y.u8 (1 caption, 0 not, 255 outside the band: ignored), n x TH x TW each.
 * Run: npm run build && node dist/training/subtitles/make-data.js --out training/data/subtitles/train --samples 6000
 */
const TH = 96;
const TW = 320;
/** Working-resolution frame sizes (what the detector reads after its integer downscale). */
const SIZES: readonly [number, number][] = [[320, 240], [384, 216], [400, 300], [480, 270], [512, 288], [640, 360], [560, 420], [640, 480]];
/** Pad value: mid grey, i.e. zero after the model's own normalisation, like a convolution's zero padding. */
const PAD = 128;

/** A random viewport of the photo, as luma. */
function lumaViewport(img: Image, w: number, h: number, rng: Rng): Uint8Array {
  return viewport(img, w, h, rng).subarray(0, w * h);
}

/** Draws one layer at frame f on its own canvas; returns its luma colour and alpha. */
async function layerAt(spec: OverlaySpec, g: ClipGeometry, rng: Rng, pickFrame: (params: Record<string, unknown>) => number): Promise<{ y: Uint8Array; a: Uint8Array; params: Record<string, unknown> }> {
  const layer = await buildLayer(spec, g, rng);
  const canvas = createCanvas(g.width, g.height);
  layer.draw(canvas.getContext('2d'), pickFrame(layer.params));
  const ov = overlayToYuv420p(canvas.getContext('2d').getImageData(0, 0, g.width, g.height).data, g.width, g.height);
  return { y: ov.yuv.subarray(0, g.width * g.height), a: ov.alpha, params: layer.params };
}

/** Separable [1 2 1]/4 blur: the softness of a scaled or compressed video. */
function blur(y: Uint8Array, w: number, h: number): Uint8Array {
  const tmp = new Float32Array(w * h);
  const out = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) tmp[j * w + i] = (y[j * w + Math.max(0, i - 1)]! + 2 * y[j * w + i]! + y[j * w + Math.min(w - 1, i + 1)]!) / 4;
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) out[j * w + i] = Math.round((tmp[Math.max(0, j - 1) * w + i]! + 2 * tmp[j * w + i]! + tmp[Math.min(h - 1, j + 1) * w + i]!) / 4);
  return out;
}

async function sample(img: Image, rng: Rng, x: Uint8Array, y: Uint8Array): Promise<boolean> {
  const [ww, wh] = rng.pick(SIZES);
  // A quarter of the tiles are drawn at twice the size and read back the way the detector reads a 720p frame.
  const s = rng.chance(0.25) ? 2 : 1;
  const g: ClipGeometry = { width: ww * s, height: wh * s, fps: 25, frames: 40 };
  let luma: Uint8Array = lumaViewport(img, g.width, g.height, rng);
  const truth = new Uint8Array(g.width * g.height);
  let position: 'top' | 'bottom' | undefined;
  const anyFrame = () => rng.int(0, g.frames - 1);
  if (rng.chance(0.35)) {
    const logo = await layerAt(rng.chance(0.75) ? { kind: 'logo', placement: rng.chance(0.6) ? 'anywhere' : 'corner' } : { kind: 'dynamic-logo' }, g, rng.fork(1), anyFrame);
    luma = luma.map((v, i) => blendByte(logo.a[i]!, logo.y[i]!, v));
  }
  if (rng.chance(0.75)) {
    const cueFrame = (params: Record<string, unknown>) => {
      const cue = (params.cues as { start: number; end: number }[])[0]!;
      return rng.int(cue.start, Math.min(g.frames, cue.end) - 1);
    };
    const subs = await layerAt({ kind: 'subtitles' }, g, rng.fork(2), cueFrame);
    luma = luma.map((v, i) => blendByte(subs.a[i]!, subs.y[i]!, v));
    for (let i = 0; i < truth.length; i++) truth[i] = subs.a[i]! >= MASK_ALPHA_MIN ? 1 : 0;
    position = (subs.params.look as { position: 'top' | 'bottom' }).position;
  }
  if (rng.chance(0.2)) luma = blur(luma, g.width, g.height);
  if (rng.chance(0.5)) {
    const sigma = rng.range(0.5, 3);
    luma = luma.map((v) => Math.max(0, Math.min(255, Math.round(v + sigma * gaussian(rng)))));
  }
  let work: Uint8Array = luma, workTruth: Uint8Array = truth;
  const size = workingSize(g.width, g.height);
  if (size.scale !== 1) {
    const f = new Float32Array(size.width * size.height);
    downscaleLuma(luma, g.width, g.height, size.scale, f);
    work = new Uint8Array(f); // truncates, as the detector's Uint8Array copy does
    workTruth = maxPool(truth, g.width, g.height, size.scale);
  }
  const { width: w, height: h } = size;
  const bands = captionBands(h);
  const band = position ? bands.find((b) => b.name === position)! : rng.pick(bands);
  const bh = band.y1 - band.y0;
  // Vertical: a random TH-row window of the band (the band at the top of the tile when shorter).
  const oy = bh > TH ? rng.int(0, bh - TH) : 0;
  // Horizontal: usually over the caption's ink, sometimes anywhere.
  let ox = rng.int(0, Math.max(0, w - TW));
  if (position && rng.chance(0.7)) {
    let x0 = w, x1 = 0;
    for (let j = band.y0; j < band.y1; j++) for (let i = 0; i < w; i++) if (workTruth[j * w + i]) { x0 = Math.min(x0, i); x1 = Math.max(x1, i); }
    if (x1 >= x0) ox = Math.max(0, Math.min(w - TW, rng.int(x0 - TW / 2, x1 - TW / 2)));
  }
  x.fill(PAD);
  y.fill(255);
  let positives = 0;
  for (let j = 0; j < Math.min(TH, bh); j++) {
    for (let i = 0; i < Math.min(TW, w); i++) {
      const src = (band.y0 + oy + j) * w + ox + i;
      x[j * TW + i] = work[src]!;
      y[j * TW + i] = workTruth[src]!;
      positives += workTruth[src]!;
    }
  }
  return positives > 0;
}

runTileMaker({ defaultOut: 'training/data/subtitles/train', seedSalt: 7919, xBytes: TH * TW, yBytes: TH * TW, meta: { th: TH, tw: TW }, positivesKey: 'withCaption', sample });
