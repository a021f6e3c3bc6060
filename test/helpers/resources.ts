import { readdirSync, readFileSync } from 'node:fs';
import { liveCaptionWorkers } from '../../src/filter/detect/caption-thread.js';
import { liveDetectorWorkers } from '../../src/filter/detect/detector-thread.js';
import { liveSocketReaders } from '../../src/media/socket-reader.js';
import { liveOnnxWorkers } from '../../src/ml/onnx-session.js';

/**
 * What a server may leave behind after faults: ffmpeg children, open sockets, child-process pipes,
 * model worker threads.
 * Read from /proc and from Node's own list of active handles, so the assertion needs no cooperation
 * from the code under test.
 */

/** Handle types that mean an OS resource (socket, child, pipe); timers are not counted. */
const COUNTED = ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'ProcessWrap', 'PipeWrap'] as const;

export type HandleCounts = Record<(typeof COUNTED)[number], number>;

export function activeHandles(): HandleCounts {
  const counts = Object.fromEntries(COUNTED.map((t) => [t, 0])) as HandleCounts;
  for (const r of process.getActiveResourcesInfo()) {
    const type = (COUNTED as readonly string[]).find((t) => t.toLowerCase() === r.toLowerCase());
    if (type) counts[type as keyof HandleCounts]++;
  }
  return counts;
}

/** Live children of this process (any thread may have forked them), with their command names. */
export function childProcesses(): { pid: number; comm: string }[] {
  const pids = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${process.pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tasks) {
    try {
      for (const p of readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (p) pids.add(Number(p));
    } catch { /* thread gone */ }
  }
  const out: { pid: number; comm: string }[] = [];
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // A zombie (state Z) has exited; it only waits to be reaped, which Node does on its own.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z') out.push({ pid, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

interface TcpRow {
  readonly address: string;
  readonly port: number;
  /** Kernel state in hex: 01 ESTABLISHED, 06 TIME_WAIT, 07 CLOSE, 0A LISTEN, ... */
  readonly state: string;
}

/** The local end and state of every TCP (or UDP) socket on this machine, from /proc/net/tcp{,6}. */
function tcpSockets(proto: 'tcp' | 'udp' = 'tcp'): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const [file, v6] of [[`/proc/net/${proto}`, false], [`/proc/net/${proto}6`, true]] as const) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const [hexAddr, hexPort] = cols[1]!.split(':') as [string, string];
      rows.push({ address: v6 ? ipv6FromProc(hexAddr) : ipv4FromProc(hexAddr), port: parseInt(hexPort, 16), state: cols[3]! });
    }
  }
  return rows;
}

/** TCP connections (not listeners, not TIME_WAIT) with a local port among `ports`. */
export function openConnections(ports: readonly number[]): number {
  const wanted = new Set(ports);
  // 0A LISTEN, 06 TIME_WAIT (the kernel's, not a leak), 07 CLOSE.
  return tcpSockets().filter((r) => wanted.has(r.port) && !['0A', '06', '07'].includes(r.state)).length;
}

export interface LeakReport {
  children: { pid: number; comm: string }[];
  handles: Partial<HandleCounts>;
  connections: number;
  /** Model worker threads still running (Node's handle list does not show workers). */
  workers: number;
}

/**
 * Waits (up to `timeoutMs`) for every resource the run created to be gone: no child processes, no
 * more handles of each kind than at `baseline`, no open connection on `ports`. Returns what is left.
 */
export async function leftovers(baseline: HandleCounts, ports: readonly number[], timeoutMs = 5000): Promise<LeakReport> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = activeHandles();
    const handles: Partial<HandleCounts> = {};
    for (const t of COUNTED) if (now[t] > baseline[t]) handles[t] = now[t] - baseline[t];
    const report: LeakReport = { children: childProcesses(), handles, connections: openConnections(ports), workers: liveOnnxWorkers() + liveDetectorWorkers() + liveCaptionWorkers() + liveSocketReaders() };
    const clean = report.children.length === 0 && Object.keys(handles).length === 0 && report.connections === 0 && report.workers === 0;
    if (clean || Date.now() > until) return report;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const NO_LEAKS: LeakReport = { children: [], handles: {}, connections: 0, workers: 0 };

/** Addresses a UDP port is bound to ("127.0.0.1", "0.0.0.0", ...). */
export function udpBoundAddresses(port: number): string[] {
  return tcpSockets('udp').filter((r) => r.port === port).map((r) => r.address);
}

/** Addresses listening on a TCP port ("127.0.0.1", "0.0.0.0", "::", ...). */
export function listeningAddresses(port: number): string[] {
  return tcpSockets().filter((r) => r.port === port && r.state === '0A').map((r) => r.address);
}

/** /proc/net/tcp writes addresses as host-order (little-endian) 32-bit words in hex. */
function ipv4FromProc(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function ipv6FromProc(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) bytes.push(parseInt(hex.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
