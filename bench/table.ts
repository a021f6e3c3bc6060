import type { ClipQuality } from './evaluate.js';
import { psnrFromMse } from './metrics.js';
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

/** Mean over a case kind's clips, ignoring undefined (NaN) values. */
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

type Column = [name: string, get: (rows: ResultRow[]) => number, digits: number];
const meanOf = (get: (r: ResultRow) => number) => (rs: ResultRow[]) => mean(rs.map(get));
/** Tail latency is reported as the worst clip's, not an average that would hide it. */
const worstOf = (get: (r: ResultRow) => number) => (rs: ResultRow[]) => {
  const v = rs.map(get).filter((x) => !Number.isNaN(x));
  return v.length ? Math.max(...v) : NaN;
};
/** PSNR over several clips comes from their mean MSE, so one perfect clip cannot make the kind "inf". */
const pooledPsnr = (get: (r: ResultRow) => number) => (rs: ResultRow[]) => psnrFromMse(mean(rs.map(get)));

const OVERLAY_COLUMNS: Column[] = [
  ['PSNR in', pooledPsnr((r) => r.quality.mseIn), 2],
  ['SSIM in', meanOf((r) => r.quality.ssimIn), 4],
  ['PSNR out', pooledPsnr((r) => r.quality.mseOut), 2],
  ['SSIM out', meanOf((r) => r.quality.ssimOut), 4],
  ['IoU', meanOf((r) => r.quality.iou), 3],
  ['prec', meanOf((r) => r.quality.precision), 3],
  ['recall', meanOf((r) => r.quality.recall), 3],
  ['flicker', meanOf((r) => r.quality.flicker), 2],
  ['truth Δ', meanOf((r) => r.quality.truthChange), 2],
  ['fps', meanOf((r) => r.speed.fps), 1],
  ['p50 ms', meanOf((r) => r.speed.latencyP50Ms), 2],
  ['p99 ms', worstOf((r) => r.speed.latencyP99Ms), 2],
];

const CLEAN_COLUMNS: Column[] = [
  ['PSNR', pooledPsnr((r) => r.quality.mseOut), 2],
  ['SSIM', meanOf((r) => r.quality.ssimOut), 4],
  ['FP area %', meanOf((r) => r.quality.fpAreaPct), 3],
  ['fps', meanOf((r) => r.speed.fps), 1],
  ['p50 ms', meanOf((r) => r.speed.latencyP50Ms), 2],
  ['p99 ms', worstOf((r) => r.speed.latencyP99Ms), 2],
];

/** Headline: rows are methods, one column per case kind (PSNR inside the overlay; FP area on clean clips). */
export function summaryTable(rows: readonly ResultRow[]): string {
  const byKind = groupRows(rows);
  const kinds = [...byKind.keys()];
  const labels = [...new Set(rows.map((r) => r.label))];
  const cell = (kind: string, label: string) => {
    const rs = byKind.get(kind)?.get(label) ?? [];
    return kind === 'no-overlay' ? `${fmt(mean(rs.map((r) => r.quality.fpAreaPct)), 3)} %` : fmt(psnrFromMse(mean(rs.map((r) => r.quality.mseIn))), 2);
  };
  const head = kinds.map((k) => (k === 'no-overlay' ? `${k}: FP area` : `${k}: PSNR in (dB)`));
  return [
    `| method | given | ${head.join(' | ')} |`,
    `| --- | --- | ${kinds.map(() => '---:').join(' | ')} |`,
    ...labels.map((l) => `| ${l} | ${rows.find((r) => r.label === l)!.given} | ${kinds.map((k) => cell(k, l)).join(' | ')} |`),
    '',
  ].join('\n');
}

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
      parts.push(`| ${label} | ${rs[0]!.given} | ${cols.map(([, get, d]) => fmt(get(rs), d)).join(' | ')} |`);
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
