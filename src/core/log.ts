import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stderr: stdout stays free for what the CLI prints for people (URLs,
 * progress) and for piping.
 */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { app: 'clearcast' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

export type { Logger };
