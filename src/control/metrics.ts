import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StreamStats } from '../stream/pipeline.js';
import type { StreamRegistry } from '../stream/registry.js';
import type { StreamControls } from './stream-controls.js';

const LABELS = ['stream'] as const;
/** Added latency buckets (s): a healthy pipeline sits at 0.05-0.2; the upper ones catch trouble. */
const LATENCY_BUCKETS = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2];

/**
 * Prometheus exposition for /metrics. Counters and gauges are read from each stream's own stats at
 * scrape time (one source of truth with the dashboard); the latency histogram needs every frame,
 * so it observes the pipelines through a tap attached when each stream starts.
 */
export class StreamMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'stream'>;
  private readonly observed = new Set<string>();

  constructor(streams: StreamRegistry, controls: StreamControls) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'clearcast_' });
    const counter = (name: string, help: string, value: (s: StreamStats) => number): void => {
      new Counter({
        name, help, labelNames: LABELS, registers,
        collect() {
          this.reset();
          for (const s of streams.stats()) this.inc({ stream: s.key }, value(s));
        },
      });
    };
    const gauge = (name: string, help: string, value: (s: StreamStats) => number): void => {
      new Gauge({
        name, help, labelNames: LABELS, registers,
        collect() {
          this.reset();
          for (const s of streams.stats()) {
            const v = value(s);
            if (Number.isFinite(v)) this.set({ stream: s.key }, v);
          }
        },
      });
    };
    counter('clearcast_frames_in_total', 'Frames decoded from the publisher.', (s) => s.framesDecoded);
    counter('clearcast_frames_out_total', 'Frames encoded into the clean stream.', (s) => s.framesEncoded);
    counter('clearcast_frames_dropped_total', 'Frames dropped to keep latency bounded.', (s) => s.dropped);
    counter('clearcast_frames_degraded_total', 'Frames whose fill was reused because the filter was behind.', (s) => s.degraded);
    counter('clearcast_filter_errors_total', 'Filter failures (the frame passed through unfiltered).', (s) => s.filterErrors);
    counter('clearcast_filter_timeouts_total', 'Filter calls that missed pipeline.failOpen.deadlineMs (the frame passed through unfiltered).', (s) => s.failOpen.timeouts);
    counter('clearcast_filter_failopen_trips_total', 'Times the filter was taken out of the path because it hung or could not keep up.', (s) => s.failOpen.trips);
    counter('clearcast_filter_failopen_frames_total', 'Frames passed unfiltered while the filter was out of the path.', (s) => s.failOpen.frames);
    gauge('clearcast_filter_failopen', '1 while the filter is out of the path (hung or too slow) and frames pass unfiltered.', (s) => (s.failOpen.active ? 1 : 0));
    gauge('clearcast_stream_running', '1 while the stream pipeline runs, 0 while it starts or drains.', (s) => (s.state === 'running' ? 1 : 0));
    gauge('clearcast_stream_bypass', '1 while the operator bypasses the filter.', (s) => (s.bypass ? 1 : 0));
    gauge('clearcast_fps_in', 'Decoded frames per second.', (s) => s.fpsIn);
    gauge('clearcast_fps_out', 'Encoded frames per second.', (s) => s.fpsOut);
    gauge('clearcast_filter_seconds_p50', 'Median filter time per frame over recent frames.', (s) => s.filterMs.p50 / 1000);
    gauge('clearcast_filter_seconds_p99', '99th percentile filter time per frame over recent frames.', (s) => s.filterMs.p99 / 1000);
    // The inpainting model (pipeline.model), on streams whose filter runs it.
    counter('clearcast_model_frames_total', 'Frames whose holes were offered to the inpainting model.', (s) => s.model?.frames ?? 0);
    counter('clearcast_model_fresh_total', 'Frames refined with their own model result.', (s) => s.model?.fresh ?? 0);
    counter('clearcast_model_late_total', 'Frames whose model result missed the deadline (previous residual reused).', (s) => s.model?.late ?? 0);
    counter('clearcast_model_skipped_total', 'Frames not sent to the model because its worker was busy (previous residual reused).', (s) => s.model?.skipped ?? 0);
    counter('clearcast_model_errors_total', 'Model runs that failed (classical fill kept).', (s) => s.model?.errors ?? 0);
    gauge('clearcast_model_inference_seconds_p50', 'Median model inference time (all tiles of a frame).', (s) => (s.model?.session?.inferenceMs.p50 ?? NaN) / 1000);
    gauge('clearcast_model_inference_seconds_p99', '99th percentile model inference time.', (s) => (s.model?.session?.inferenceMs.p99 ?? NaN) / 1000);
    gauge('clearcast_model_provider_fallback', '1 when the configured execution provider could not load and the model runs on CPU.', (s) =>
      s.model?.session ? (s.model.session.fallbackReason === null ? 0 : 1) : NaN);
    gauge('clearcast_regions_active', 'Enabled regions being removed (manual and detected).', (s) => {
      const filter = streams.get(s.key)?.filter;
      return controls.view(s.key, filter).regions.filter((r) => r.enabled && r.kind !== 'exclusion').length;
    });
    const observed = this.observed;
    this.latency = new Histogram({
      name: 'clearcast_added_latency_seconds',
      help: 'Time from a compressed frame arriving to its filtered frame leaving the encoder.',
      labelNames: LABELS, buckets: LATENCY_BUCKETS, registers,
      collect() {
        // Ended streams leave the exposition; a republish starts a fresh series.
        for (const key of observed) {
          if (!streams.has(key)) {
            this.remove({ stream: key });
            observed.delete(key);
          }
        }
      },
    });
    streams.onStart((key, pipeline) => {
      const child = this.latency.labels({ stream: key });
      observed.add(key);
      pipeline.addTap({ onEncoded: (ms) => child.observe(ms / 1000) });
    });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
