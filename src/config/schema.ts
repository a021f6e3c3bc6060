import { z } from 'zod';

// Stream keys become RTMP paths and file names: the same alphabet node-media-server accepts.
export const streamKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a stream key of 1-64 letters, digits, "_" or "-"')
  // JSON parsers (ours, zod's) drop a "__proto__" key: state kept for it would vanish on restart.
  .refine((k) => k !== '__proto__', 'the stream key "__proto__" is reserved');

const port = z.number().int().min(1).max(65535);

export const rectSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  id: z.string().optional(),
}).strict();

export const configSchema = z.object({
  server: z.object({
    bind: z.string().min(1),
    httpPort: port,
    dataDir: z.string().min(1),
    requestsPerSecond: z.number().min(1).max(100_000),
    maxConnections: z.number().int().min(8).max(1_000_000),
  }).strict(),
  rtmp: z.object({
    port,
    httpFlvPort: port,
    ingestApp: z.string().regex(/^[A-Za-z0-9_-]+$/),
    cleanApp: z.string().regex(/^[A-Za-z0-9_-]+$/),
    auth: z.object({
      mode: z.enum(['auto', 'on', 'off']),
      keys: z.record(streamKeySchema, z.string().min(8, 'a secret of at least 8 characters')),
    }).strict(),
    stallTimeoutMs: z.number().int().min(500),
    maxPlayerBacklogBytes: z.number().int().min(65_536),
  }).strict().refine((r) => r.ingestApp !== r.cleanApp, { message: 'ingestApp and cleanApp must differ', path: ['cleanApp'] }),
  pipeline: z.object({
    filter: z.enum(['manual', 'passthrough', 'auto']),
    maxStreams: z.number().int().min(1).max(1000),
    windowFrames: z.number().int().min(1).max(300),
    maxQueuedFrames: z.number().int().min(1).max(120),
    degradeAtQueuedFrames: z.number().int().min(1),
    maxDecoderBacklogBytes: z.number().int().min(100_000),
    failOpen: z.object({
      deadlineMs: z.number().int().min(10).max(10_000),
      retryAfterMs: z.number().int().min(100),
      maxRetryAfterMs: z.number().int().min(100),
    }).strict().refine((f) => f.retryAfterMs <= f.maxRetryAfterMs, { message: 'must not exceed pipeline.failOpen.maxRetryAfterMs', path: ['retryAfterMs'] }),
    regions: z.record(z.union([z.literal('*'), streamKeySchema]), z.array(rectSchema)),
    temporalFill: z.boolean(),
    auto: z.object({
      sampleEvery: z.number().int().min(1).max(30),
      extractEvery: z.number().int().min(1).max(60),
      memorySamples: z.number().int().min(4).max(1000),
      maxColumns: z.number().int().min(64).max(3840),
      rememberS: z.number().min(0).max(3600),
      logoNet: z.boolean(),
    }).strict(),
    model: z.object({
      enabled: z.boolean(),
      path: z.string().min(1),
      executionProvider: z.enum(['cpu', 'cuda', 'webgpu']),
      threads: z.number().int().min(1).max(64),
      maxInFlight: z.number().int().min(1).max(16),
      deadlineMs: z.number().min(0).max(60_000),
      smoothing: z.number().gt(0).max(1),
      senseThreshold: z.number().min(0).max(1),
      residualOver: z.enum(['model-base', 'classical']),
      onMissing: z.enum(['fail', 'classical']),
    }).strict(),
  }).strict().refine((p) => p.degradeAtQueuedFrames <= p.maxQueuedFrames, {
    message: 'must not exceed pipeline.maxQueuedFrames', path: ['degradeAtQueuedFrames'],
  }),
  encoder: z.object({
    preset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium']),
    videoBitrateKbps: z.number().int().min(100).max(100_000),
    keyframeIntervalS: z.number().min(0.2).max(20),
    profile: z.enum(['baseline', 'main', 'high']),
    defaultFps: z.number().min(1).max(240),
  }).strict(),
  egress: z.object({
    push: z.record(streamKeySchema, z.array(z.string().regex(/^rtmps?:\/\/\S+$/, 'an rtmp:// or rtmps:// URL'))),
    retryInitialDelayMs: z.number().int().min(10),
    retryMaxDelayMs: z.number().int().min(10),
  }).strict(),
  webrtc: z.object({
    ice: z.object({
      additionalHostAddresses: z.array(z.string().min(1)),
      announcedIp: z.string().min(1).optional(),
      portRange: z.tuple([port, port]).refine(([lo, hi]) => lo < hi, 'a [min, max] pair with min < max').optional(),
    }).strict(),
    maxSdpBytes: z.number().int().min(1024).max(1_048_576),
    connectTimeoutMs: z.number().int().min(1000),
    peerTimeoutMs: z.number().int().min(1000),
    maxViewersPerStream: z.number().int().min(1).max(10_000),
    offersPerMinute: z.number().min(1).max(100_000),
  }).strict(),
  control: z.object({
    requireAuth: z.enum(['auto', 'on', 'off']),
    adminToken: z.string().min(16, 'a token of at least 16 characters').optional(),
    readToken: z.string().min(16, 'a token of at least 16 characters').optional(),
    maxMessageBytes: z.number().int().min(256).max(1_048_576),
    messagesPerSecond: z.number().min(1).max(1000),
    thumbnailIntervalMs: z.number().int().min(100).max(10_000),
  }).strict(),
  log: z.object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error']),
  }).strict(),
  demo: z.object({
    width: z.number().int().min(64).max(3840).multipleOf(2),
    height: z.number().int().min(64).max(2160).multipleOf(2),
    fps: z.number().int().min(1).max(60),
    key: streamKeySchema,
  }).strict(),
}).strict();

export type Config = z.infer<typeof configSchema>;
export type RectConfig = z.infer<typeof rectSchema>;
