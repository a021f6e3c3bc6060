import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * starts marking again: 300 % (a factor of 4) instead of V8's own choice.
 *
 * Why: video keeps little alive but allocates a lot (several MB of scratch and pixel lists a 720p
 * frame). V8 set the old generation's limit only ~24 MB above the ~21 MB that survive a full
 * collection, about what the young generation promotes in a quarter of a second, so marking began
 * again soon after each full collection ended: with auto at 720p, 3-3.5 full collections a second,
 * and V8's helper threads at 34-39 % of a core. At a factor of 4 the limit is ~140 MB, full
 * collections are ~2.8 times rarer, and those left are started by frame buffers (external memory),
 * which a larger heap does not change (docs/latency.md, "The old generation's growing factor").
 */
export const HEAP_GROWING_PERCENT = 300;

let applied = false;

/**
 * Sets the growing factor for this process (every isolate, workers included), once. V8 reads the
 * flag each time it sizes the heap, so setting it after start-up takes effect at the next full
 * collection. A `--heap-growing-percent` given to node on the command line wins.
 */
export function tuneHeapForVideo(): void {
  if (applied) return;
  applied = true;
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
