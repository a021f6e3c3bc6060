import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../core/log.js';

/**
 * A small JSON document on disk that survives restarts. Writes go to a temporary file renamed over
 * the old one, so a crash mid-write leaves the previous state rather than half a file.
 */
export class JsonStateFile<T> {
  constructor(private readonly path: string, private readonly schema: z.ZodType<T>, private readonly log: Logger) {}

  /** The stored document, or `fallback` when there is none or it is unreadable (kept aside, not lost). */
  load(fallback: T): T {
    if (!existsSync(this.path)) return fallback;
    try {
      const parsed = this.schema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (parsed.success) return parsed.data;
      throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    } catch (err) {
      const aside = `${this.path}.bad-${Date.now()}`;
      renameSync(this.path, aside);
      this.log.warn({ err, path: this.path, movedTo: aside }, 'control state unreadable; starting empty');
      return fallback;
    }
  }

  save(value: T): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}
