import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Field paths never written as they are, whatever a caller passes: secrets travel in these names
 * (publish ?secret=, bearer tokens, control tokens). A second line of defence: code logs keys and
 * hosts, not credentials.
 */
const REDACT = ['secret', 'token', 'authorization', '*.secret', '*.token', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'streamQuery'];

/**
 * Structured JSON logs on stderr: stdout stays free for what the CLI prints for people (URLs,
 * progress) and for piping.
 */
export function createLogger(level: string = 'info', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { app: 'clearcast' }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

export type { Logger };
