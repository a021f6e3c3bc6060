import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A server data folder for one bench run, removed after it. The server keeps its control state
 * there (zones, manual regions), and a shared folder carried every run's barcode exclusion zone
 * into the next: after 64 runs the stream's region limit refused the next one, and the bench failed.
 */
export function freshDataDir(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'clearcast-bench-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
