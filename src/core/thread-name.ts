import { writeFileSync } from 'node:fs';

/**
 * Names the calling OS thread (Linux: 15 bytes at most), so that `top -H`, `ps -L` and
 * the threads listed under /proc tell a stream's workers apart: every Node thread is otherwise called "node".
 * Best effort: elsewhere, or without /proc, nothing happens.
 */
export function nameThread(name: string): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not worth failing a worker over.
  }
}

