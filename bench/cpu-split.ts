import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where a benchmark's CPU went, read from Linux's /proc: this process's main thread, the worker
 * threads that name themselves (src/core/thread-name.ts: "cc-logo-stats", "cc-subtitle-seg", ...),
 * the other threads (V8's helpers, libuv's pool, unnamed workers: all called "node"), and its
 * child processes by role. Elsewhere than Linux every figure is absent.
 */
export interface CpuSnapshot {
  readonly at: number;
  /** Clock ticks (user + system) and name per thread id of this process. */
  readonly threads: ReadonlyMap<number, { ticks: number; name: string }>;
  /** Clock ticks per child process id, with its command line. */
  readonly children: ReadonlyMap<number, { ticks: number; cmdline: string }>;
}

/** Linux's USER_HZ: the unit of /proc's tick counts on every architecture Node runs on. */
const TICKS_PER_S = 100;

/** utime + stime of a /proc stat line (fields 14 and 15; the command name may hold spaces, so after its ')'). */
function ticksOf(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The command name of a /proc stat line (between the first '(' and the last ')'). */
function nameOf(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).trim();
}

function parentOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const threads = new Map<number, { ticks: number; name: string }>();
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      threads.set(Number(tid), { ticks: ticksOf(stat), name: nameOf(stat) });
    }
    const children = new Map<number, { ticks: number; cmdline: string }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (parentOf(stat) !== process.pid) continue;
        children.set(Number(name), { ticks: ticksOf(stat), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ') });
      } catch {
        // A process that ended between the listing and the read.
      }
    }
    return { at: performance.now(), threads, children };
  } catch {
    return undefined;
  }
}

/** Share of one core (%) each part used between two snapshots; a child seen only at the end counts from 0. */
export interface CpuSplit {
  readonly mainThread: number;
  /** Threads named "cc-..." by name (a stream's workers; several streams' add up). */
  readonly workers: Readonly<Record<string, number>>;
  /** The rest: V8's helpers, libuv's pool, unnamed workers. */
  readonly otherThreads: number;
  /** Child processes by role (see `role`). */
  readonly children: Readonly<Record<string, number>>;
  readonly total: number;
}

export function cpuSplit(from: CpuSnapshot, to: CpuSnapshot, role: (cmdline: string) => string): CpuSplit {
  const seconds = (to.at - from.at) / 1000;
  const pct = (ticks: number) => (100 * ticks) / TICKS_PER_S / seconds;
  let main = 0, other = 0, named = 0;
  const workerTicks: Record<string, number> = {};
  for (const [tid, t] of to.threads) {
    const used = t.ticks - (from.threads.get(tid)?.ticks ?? 0);
    if (tid === process.pid) main += used;
    else if (t.name.startsWith('cc-')) {
      workerTicks[t.name] = (workerTicks[t.name] ?? 0) + used;
      named += used;
    } else other += used;
  }
  const workers = Object.fromEntries(Object.entries(workerTicks).map(([k, v]) => [k, pct(v)]));
  const children: Record<string, number> = {};
  let total = main + other + named;
  for (const [pid, c] of to.children) {
    const used = c.ticks - (from.children.get(pid)?.ticks ?? 0);
    const r = role(c.cmdline);
    children[r] = (children[r] ?? 0) + pct(used);
    total += used;
  }
  return { mainThread: pct(main), workers, otherThreads: pct(other), children, total: pct(total) };
}
