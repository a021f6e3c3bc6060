import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** Every ffmpeg child we started and has not exited: shutdown kills them, tests assert none remain. */
export const liveChildren = new Set<ChildProcess>();

export const FFMPEG_BIN = process.env.CLEARCAST_FFMPEG ?? 'ffmpeg';
/** Echo every child's stderr (troubleshooting a codec or protocol problem). */
const DEBUG = process.env.CLEARCAST_DEBUG_FFMPEG === '1';

export const FFPROBE_BIN = process.env.CLEARCAST_FFPROBE ?? 'ffprobe';

export interface FfmpegProcessOptions {
  /** Human-readable role for logs and errors ("decoder demo"). */
  readonly name: string;
  readonly args: readonly string[];
  /** Called with each complete stderr line (already trimmed of \r / \n). */
  readonly onStderrLine?: (line: string) => void;
  /** Extra pipes beyond stdio 0-2, e.g. ['pipe'] for fd 3. */
  readonly extraPipes?: number;
}

/**
 * One ffmpeg child with the chores every stage needs: stderr kept (last lines) for error messages,
 * EPIPE on stdin swallowed (the child's exit is the real signal), and a single 'exit' event that
 * carries a readable reason.
 */
export class FfmpegProcess extends EventEmitter<{ exit: [code: number | null, signal: NodeJS.Signals | null, reason: string] }> {
  readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private partial = '';
  /** Why its owner stopped it (see stop()): the exit reason then says that rather than ffmpeg's last lines. */
  private stoppedBecause: string | undefined;
  exited = false;

  constructor(readonly opts: FfmpegProcessOptions) {
    super();
    const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe'];
    for (let i = 0; i < (opts.extraPipes ?? 0); i++) stdio.push('pipe');
    this.child = spawn(FFMPEG_BIN, ['-hide_banner', '-nostdin', ...opts.args], { stdio });
    liveChildren.add(this.child);
    this.child.stdin?.on('error', () => { /* EPIPE after the child died; 'exit' reports why */ });
    this.child.stdout?.on('error', () => {});
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.onStderr(chunk));
    this.child.on('error', (err) => {
      // spawn failure (ffmpeg not installed): surface it like an exit so owners have one path.
      this.pushTail(`spawn error: ${err.message}`);
      this.finish(null, null);
    });
    // 'close' (not 'exit'): only then have stdout and stderr delivered their last bytes.
    this.child.on('close', (code, signal) => this.finish(code, signal));
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    liveChildren.delete(this.child);
    if (this.partial) this.pushTail(this.partial);
    const reason = this.stoppedBecause !== undefined
      ? `${this.opts.name} stopped: ${this.stoppedBecause}`
      : code === 0 ? 'finished' : `${this.opts.name} exited (${signal ?? `code ${code}`}): ${this.lastError()}`;
    this.emit('exit', code, signal, reason);
  }

  private onStderr(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      if (DEBUG) process.stderr.write(`[${this.opts.name}] ${line}\n`);
      this.opts.onStderrLine?.(line);
      this.pushTail(line);
    }
  }

  private pushTail(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
  }

  /** The last stderr lines that look like errors, for a one-line reason. */
  lastError(): string {
    const interesting = this.stderrTail.filter((l) => !/^\[Parsed_showinfo/.test(l));
    return interesting.slice(-3).join(' | ') || 'no error output';
  }

  /** Writes to stdin; resolves false when the child is gone. Callers bound their own backlog. */
  write(buf: Buffer): boolean {
    const stdin = this.child.stdin;
    if (!stdin || this.exited || stdin.destroyed || stdin.writableEnded) return false;
    stdin.write(buf);
    return true;
  }

  /** Bytes written to stdin that the child has not consumed yet. */
  get stdinBacklog(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  endInput(): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  /** Resolves once the child has exited. */
  waitExit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => this.once('exit', () => resolve()));
  }

  /**
   * Kills the child because something around it failed (the reader of its output): its owners then
   * see `reason` in the exit event, as for any other exit, rather than the child's own last lines.
   */
  async stop(reason: string): Promise<void> {
    if (this.exited) return;
    this.stoppedBecause ??= reason;
    await this.kill();
  }

  /** SIGTERM, then SIGKILL if it lingers: no orphaned encoders after shutdown. */
  async kill(graceMs = 1000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, graceMs);
    await this.waitExit();
    clearTimeout(timer);
  }
}

/** Kills every ffmpeg child still running (process shutdown). */
export async function killAllChildren(): Promise<void> {
  const pending = [...liveChildren].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 1000).unref();
  }));
  await Promise.all(pending);
}
