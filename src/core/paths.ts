import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found by walking up: the same code runs from src/ (tests) and dist/src/ (CLI). */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the clearcast package root');
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot();

/**
 * The compiled worker script `file` that sits beside the module at `moduleUrl` (its
 * import.meta.url): there when running from dist/, else the build's copy of it (tests run src/
 * through vitest, and a worker thread needs JavaScript).
 */
export function compiledWorker(moduleUrl: string, file: string): string {
  const here = join(dirname(fileURLToPath(moduleUrl)), file);
  return existsSync(here) ? here : join(PROJECT_ROOT, 'dist', relative(PROJECT_ROOT, dirname(here)), file);
}
