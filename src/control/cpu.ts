import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux build we run on. */
const TICKS_PER_S = 100;

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * CPU use of a stream's ffmpeg children, where its real work happens, as percent of one core since
 * the previous reading. Linux only (/proc); elsewhere it reads 0.
 */
export class ChildCpuMeter {
  private readonly last = new Map<number, { ticks: number; at: number }>();

  percent(pids: readonly (number | undefined)[]): number {
    const now = performance.now();
    let total = 0;
    for (const pid of pids) {
      if (pid === undefined) continue;
      const ticks = cpuTicks(pid);
      if (ticks === undefined) continue;
      const prev = this.last.get(pid);
      this.last.set(pid, { ticks, at: now });
      if (prev && now > prev.at) total += ((ticks - prev.ticks) / TICKS_PER_S) / ((now - prev.at) / 1000) * 100;
    }
    return Math.round(total);
  }

  /** Drops readings of processes that are gone. */
  retain(pids: ReadonlySet<number>): void {
    for (const pid of this.last.keys()) if (!pids.has(pid)) this.last.delete(pid);
  }
}
