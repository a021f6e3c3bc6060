import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClearcastServer } from '../src/server.js';
import { BOX, publish } from './helpers/media.js';
import { startTestServer, waitFor } from './helpers/server.js';

// Prometheus text exposition format 0.0.4, line by line.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)?,?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses and checks an exposition: every line well formed, every sample under a declared family. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe('');
  for (const line of lines.slice(0, -1)) {
    let m: RegExpExecArray | null;
    if ((m = TYPE.exec(line))) {
      expect(types.has(m[1]!), `duplicate TYPE ${m[1]}`).toBe(false);
      types.set(m[1]!, m[2]!);
    } else if (HELP.test(line) || line === '') {
      // The format ignores empty lines; prom-client separates families with one.
      continue;
    } else if ((m = SAMPLE.exec(line))) {
      const name = m[1]!;
      const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      expect(types.has(family), `sample ${name} has no TYPE line before it`).toBe(true);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
      samples.push({ name, labels, value: Number(m[3]!.replace('Inf', 'Infinity')) });
    } else {
      throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    }
  }
  return { samples, types };
}

describe('GET /metrics', () => {
  let server: ClearcastServer;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: { filter: 'manual', regions: { '*': [BOX] } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is valid Prometheus text with per-stream counters, gauges and a latency histogram', async () => {
    const key = 'metered';
    const pub = publish(server.urls.publish(key), { seconds: 30, audio: false });
    await waitFor('frames out', () => (server.registry.get(key)?.stats().framesEncoded ?? 0) > 45);
    const res = await fetch(`${server.urls.http}/metrics`);
    pub.child.kill('SIGKILL');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(await res.text());
    const one = (name: string): number => {
      const found = samples.filter((s) => s.name === name && s.labels.stream === key);
      expect(found, name).toHaveLength(1);
      return found[0]!.value;
    };

    expect(types.get('clearcast_frames_in_total')).toBe('counter');
    expect(types.get('clearcast_added_latency_seconds')).toBe('histogram');
    expect(one('clearcast_frames_in_total')).toBeGreaterThan(45);
    expect(one('clearcast_frames_out_total')).toBeGreaterThan(45);
    expect(one('clearcast_frames_dropped_total')).toBeGreaterThanOrEqual(0);
    expect(one('clearcast_frames_degraded_total')).toBeGreaterThanOrEqual(0);
    expect(one('clearcast_filter_errors_total')).toBe(0);
    expect(one('clearcast_regions_active')).toBe(1);
    expect(one('clearcast_stream_running')).toBe(1);
    expect(one('clearcast_filter_seconds_p99')).toBeGreaterThan(0);

    // Histogram: cumulative buckets ending in +Inf, which equals the count.
    const buckets = samples.filter((s) => s.name === 'clearcast_added_latency_seconds_bucket' && s.labels.stream === key);
    expect(buckets.length).toBeGreaterThan(3);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    const count = one('clearcast_added_latency_seconds_count');
    expect(count).toBeGreaterThan(30);
    expect(buckets.at(-1)!.value).toBe(count);
    expect(one('clearcast_added_latency_seconds_sum') / count).toBeLessThan(2);

    // Process metrics come along (CPU for the dashboards that scrape us).
    expect(types.get('clearcast_process_cpu_seconds_total')).toBe('counter');
    await waitFor('stream gone', () => !server.registry.has(key), 10_000);
  });

  it('forgets a stream once it has ended', async () => {
    const text = await (await fetch(`${server.urls.http}/metrics`)).text();
    const { samples } = parseExposition(text);
    expect(samples.filter((s) => s.labels.stream === 'metered')).toEqual([]);
  });
});
