import type { ClipQuality } from './evaluate.js';
import type { MethodRun } from './methods.js';

export interface ResultRow {
  readonly caseId: string;
  readonly kind: string;
  readonly method: string;
  readonly label: string;
  readonly given: string;
  readonly quality: ClipQuality;
  readonly speed: Omit<MethodRun, 'output'>;
}

const fmt = (v: number, digits: number): string => (Number.isNaN(v) ? 'n/a' : v === Infinity ? 'inf' : v.toFixed(digits));

/** Mean over a case kind's clips; PSNRs average in dB (inf stays inf only if every clip is inf). */
function mean(values: number[]): number {
  const ok = values.filter((v) => !Number.isNaN(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

function groupRows(rows: readonly ResultRow[]): Map<string, Map<string, ResultRow[]>> {
  const byKind = new Map<string, Map<string, ResultRow[]>>();
  for (const r of rows) {
    const byMethod = byKind.get(r.kind) ?? new Map<string, ResultRow[]>();
    byMethod.set(r.label, [...(byMethod.get(r.label) ?? []), r]);
    byKind.set(r.kind, byMethod);
  }
  return byKind;
}

const OVERLAY_COLUMNS: [string, (r: ResultRow) => number, number][] = [
  ['PSNR in', (r) => r.quality.psnrIn, 2],
  ['SSIM in', (r) => r.quality.ssimIn, 4],
  ['PSNR out', (r) => r.quality.psnrOut, 2],
  ['SSIM out', (r) => r.quality.ssimOut, 4],
  ['IoU', (r) => r.quality.iou, 3],
  ['prec', (r) => r.quality.precision, 3],
  ['recall', (r) => r.quality.recall, 3],
  ['flicker', (r) => r.quality.flicker, 2],
  ['fps', (r) => r.speed.fps, 1],
  ['p50 ms', (r) => r.speed.latencyP50Ms, 2],
  ['p99 ms', (r) => r.speed.latencyP99Ms, 2],
];

const CLEAN_COLUMNS: [string, (r: ResultRow) => number, number][] = [
  ['PSNR', (r) => r.quality.psnrOut, 2],
  ['SSIM', (r) => r.quality.ssimOut, 4],
  ['FP area %', (r) => r.quality.fpAreaPct, 3],
  ['fps', (r) => r.speed.fps, 1],
  ['p50 ms', (r) => r.speed.latencyP50Ms, 2],
  ['p99 ms', (r) => r.speed.latencyP99Ms, 2],
];

/** One markdown table per case kind: rows are methods, columns metrics (means over that kind's clips). */
export function markdownTables(rows: readonly ResultRow[], pending: readonly { label: string; reason: string }[]): string {
  const parts: string[] = [];
  for (const [kind, byMethod] of groupRows(rows)) {
    const clean = kind === 'no-overlay';
    const cols = clean ? CLEAN_COLUMNS : OVERLAY_COLUMNS;
    const first = [...byMethod.values()][0]!;
    parts.push(`### ${kind} (${first.length} clip${first.length > 1 ? 's' : ''})`, '');
    parts.push(`| method | given | ${cols.map((c) => c[0]).join(' | ')} |`);
    parts.push(`| --- | --- | ${cols.map(() => '---:').join(' | ')} |`);
    for (const [label, rs] of byMethod) {
      parts.push(`| ${label} | ${rs[0]!.given} | ${cols.map(([, get, d]) => fmt(mean(rs.map(get)), d)).join(' | ')} |`);
    }
    for (const p of pending) parts.push(`| ${p.label} | nothing | ${p.reason} |${' |'.repeat(cols.length - 1)}`);
    parts.push('');
  }
  return parts.join('\n');
}

/** JSON cannot hold Infinity/NaN: write them as "inf" and null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'inf' : '-inf') : v), 2);
}
