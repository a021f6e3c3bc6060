import { z } from 'zod';
import { streamKeySchema } from '../config/schema.js';

/** Bumped on any incompatible change; clients send it, the server refuses what it does not speak. */
export const PROTOCOL_VERSION = 1;

// Coordinates are luma pixels of the source picture; 8K is a generous ceiling that still catches nonsense.
const coord = z.number().int().min(0).max(8192);
const size = z.number().int().min(2).max(8192);
export const rectMessageSchema = z.object({ x: coord, y: coord, width: size, height: size }).strict();

const regionId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a region id of 1-64 letters, digits, "_", ".", ":" or "-"')
  .refine((id) => id !== '__proto__', 'the region id "__proto__" is reserved');
const settingValue = z.union([z.number(), z.boolean(), z.string().max(200)]);
export const settingsSchema = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'a setting name'), settingValue)
  .refine((s) => Object.keys(s).length <= 32, 'at most 32 settings');

const base = { v: z.literal(PROTOCOL_VERSION), id: z.union([z.string().max(64), z.number().int()]).optional() };
const onStream = { ...base, key: streamKeySchema };

/** Everything a client may send. Reads need the read role; the rest need admin. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('streams.list') }).strict(),
  z.object({ ...onStream, type: z.literal('subscribe'), thumbnails: z.boolean().optional() }).strict(),
  z.object({ ...onStream, type: z.literal('unsubscribe') }).strict(),
  z.object({ ...onStream, type: z.literal('regions.list') }).strict(),
  z.object({ ...onStream, type: z.literal('region.enable'), regionId, enabled: z.boolean() }).strict(),
  z.object({ ...onStream, type: z.literal('region.add'), rect: rectMessageSchema, exclusion: z.boolean().optional() }).strict(),
  z.object({ ...onStream, type: z.literal('region.move'), regionId, rect: rectMessageSchema }).strict(),
  z.object({ ...onStream, type: z.literal('region.remove'), regionId }).strict(),
  z.object({ ...onStream, type: z.literal('bypass'), on: z.boolean() }).strict(),
  z.object({ ...onStream, type: z.literal('settings.set'), settings: settingsSchema }).strict(),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

const READ_TYPES: ReadonlySet<ClientMessageType> = new Set(['streams.list', 'subscribe', 'unsubscribe', 'regions.list']);

export function needsAdmin(type: ClientMessageType): boolean {
  return !READ_TYPES.has(type);
}

/** One zod issue as a sentence a person can act on: where, then what. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : 'message';
  return `${where}: ${issue.message}`;
}

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: string; id?: string | number };

/** Text frame -> validated message, or the reason it is not one (reply with it; keep the connection). */
export function parseClientMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'message: expected a JSON object' };
  const obj = raw as Record<string, unknown>;
  const id = typeof obj.id === 'string' || typeof obj.id === 'number' ? obj.id : undefined;
  const withId = (error: string): ParseResult => (id === undefined ? { ok: false, error } : { ok: false, error, id });
  if (obj.v !== PROTOCOL_VERSION) return withId(`v: protocol version ${PROTOCOL_VERSION} expected, got ${JSON.stringify(obj.v ?? null)}`);
  const parsed = clientMessageSchema.safeParse(raw);
  if (!parsed.success) return withId(parsed.error.issues.slice(0, 3).map(describeIssue).join('; '));
  return { ok: true, message: parsed.data };
}
