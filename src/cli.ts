#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, setOverrides } from './config/load.js';
import type { Config } from './config/schema.js';
import { createLogger } from './core/log.js';
import { demoGeometry, startDemoPublisher } from './demo/source.js';
import { createFilter } from './filter/factory.js';
import { killAllChildren } from './media/ffmpeg.js';
import { processFile } from './process/offline.js';
import { ClearcastServer, serverUrls } from './server.js';
import { ownEntry } from './core/records.js';

interface CommonFlags {
  config?: string;
  set: string[];
  bind?: string;
  rtmpPort?: number;
  httpPort?: number;
  flvPort?: number;
}

const collect = (value: string, prev: string[]): string[] => [...prev, value];
const portArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} expects a port number 1-65535, got "${v}"`);
  return n;
};

function withCommonFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML file merged over config/default.yaml')
    .option('--set <path=value>', 'override one config key, e.g. --set pipeline.filter=passthrough (repeatable)', collect, [])
    .option('--bind <address>', 'listen address (server.bind)')
    .option('--rtmp-port <port>', 'RTMP port (rtmp.port)', portArg('--rtmp-port'))
    .option('--http-port <port>', 'HTTP port for health/stats (server.httpPort)', portArg('--http-port'))
    .option('--flv-port <port>', 'HTTP-FLV port (rtmp.httpFlvPort)', portArg('--flv-port'));
}

function configFrom(flags: CommonFlags, extra: Record<string, unknown> = {}): Config {
  const overrides: Record<string, unknown> = setOverrides(flags.set ?? []);
  const server = (overrides.server ??= {}) as Record<string, unknown>;
  const rtmp = (overrides.rtmp ??= {}) as Record<string, unknown>;
  if (flags.bind) server.bind = flags.bind;
  if (flags.httpPort) server.httpPort = flags.httpPort;
  if (flags.rtmpPort) rtmp.port = flags.rtmpPort;
  if (flags.flvPort) rtmp.httpFlvPort = flags.flvPort;
  for (const [k, v] of Object.entries(extra)) overrides[k] = { ...(overrides[k] as object), ...(v as object) };
  return loadConfig({ file: flags.config, overrides });
}

/** Regions that make the demo clean out of the box: the demo draws its overlays at known places. */
function demoRegions(config: Config): Record<string, unknown> {
  const g = demoGeometry(config.demo.width, config.demo.height);
  const existing = ownEntry(config.pipeline.regions, config.demo.key) ?? [];
  return { regions: { ...config.pipeline.regions, [config.demo.key]: [...existing, { ...g.logo, id: 'demo-logo' }, { ...g.subtitles, id: 'demo-subtitles' }] } };
}

async function serve(flags: CommonFlags & { demo?: boolean }): Promise<void> {
  let config = configFrom(flags);
  if (flags.demo) config = configFrom(flags, { pipeline: demoRegions(config) });
  const log = createLogger(config.log.level);
  const server = new ClearcastServer(config, log);
  await server.start();
  const u = server.urls;
  const lines = [
    'Clearcast is running.',
    `  Publish:    ${u.publish('<key>')}        (e.g. ffmpeg -re -i in.mp4 -c:v libx264 -c:a aac -f flv ${u.publish('mykey')})`,
    `  Watch:      ${u.cleanRtmp('<key>')}`,
    `              ${u.cleanFlv('<key>')}`,
    `  WebRTC:     WHIP ${u.whip('<key>')}, WHEP ${u.whep('<key>')}   (browser: ${u.http}/publish.html?key=<key>, ${u.http}/watch.html?key=<key>)`,
    `  Dashboard:  ${u.http}/   (control: ${u.http.replace('http', 'ws')}/control, metrics: ${u.http}/metrics, stats: ${u.http}/api/streams, health: ${u.http}/healthz)`,
  ];
  let demo: ReturnType<typeof startDemoPublisher> | undefined;
  let stopping = false;
  if (flags.demo) {
    const d = config.demo;
    const startDemo = (): void => {
      demo = startDemoPublisher({ width: d.width, height: d.height, fps: d.fps, url: u.publish(d.key) });
      demo.on('exit', (_c, _s, reason) => {
        if (stopping) return;
        log.warn({ reason }, 'demo publisher stopped; restarting in 2 s');
        setTimeout(() => { if (!stopping) startDemo(); }, 2000).unref();
      });
    };
    startDemo();
    lines.push(`  Demo:       publishing on key "${d.key}": watch it with  ffplay ${u.cleanFlv(d.key)}`, `              (original: ffplay ${u.publish(d.key)})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await demo?.kill();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function parseRegion(v: string, prev: string[]): string[] {
  if (!/^\d+,\d+,\d+,\d+$/.test(v)) throw new ConfigError(`--region expects x,y,width,height in pixels, got "${v}"`);
  return [...prev, v];
}

async function processCommand(input: string, flags: CommonFlags & { output: string; filter?: string; region: string[]; lossless?: boolean }): Promise<void> {
  const rects = flags.region.map((r) => {
    const [x, y, width, height] = r.split(',').map(Number);
    return { x, y, width, height };
  });
  const pipeline: Record<string, unknown> = {};
  if (flags.filter) pipeline.filter = flags.filter;
  if (rects.length) pipeline.regions = { '*': rects };
  const config = configFrom(flags, { pipeline });
  const filter = createFilter(config, '*', { offline: true });
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'processing [{bar}] {percentage}% | {value}/{total} frames | ETA {eta_formatted}', stream: process.stderr }, Presets.shades_classic) : undefined;
  let barStarted = false;
  const result = await processFile({
    input, output: flags.output, filter, lossless: flags.lossless,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!barStarted) { bar.start(total ?? done, 0); barStarted = true; }
      if (total === undefined || done > total) bar.setTotal(done);
      bar.update(done);
    },
  });
  bar?.stop();
  process.stdout.write(`${JSON.stringify({ input, output: flags.output, filter: filter.name, ...result })}\n`);
}

async function demoCommand(flags: CommonFlags & { key?: string; duration?: number }): Promise<void> {
  const config = configFrom(flags);
  const key = flags.key ?? config.demo.key;
  const url = serverUrls(config).publish(key);
  const d = config.demo;
  const proc = startDemoPublisher({ width: d.width, height: d.height, fps: d.fps, url, durationS: flags.duration });
  process.stdout.write(`Publishing the demo source to ${url} (Ctrl-C to stop)\n`);
  const stop = (): void => void proc.kill();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const [code, , reason] = await new Promise<[number | null, unknown, string]>((resolve) => proc.once('exit', (c, s, r) => resolve([c, s, r])));
  if (code !== 0 && code !== 255 && proc.child.signalCode === null) throw new Error(`demo publisher failed: ${reason}`);
}

const program = new Command('clearcast').description('Real-time removal of logos, watermarks and burned-in subtitles from live video');

withCommonFlags(program.command('serve').description('run the server: RTMP ingest -> filter -> RTMP re-publish')
  .option('--demo', 'also publish the built-in demo source on the demo key'))
  .action((flags) => serve(flags));

withCommonFlags(program.command('process').argument('<input>', 'input media file').description('run the filter over a file (frame-exact, audio kept)')
  .requiredOption('-o, --output <file>', 'output file (container from the extension)')
  .addOption(new Option('--filter <name>', 'filter to apply').choices(['manual', 'passthrough']))
  .option('--region <x,y,w,h>', 'a rectangle to remove (repeatable)', parseRegion, [])
  .option('--lossless', 'encode video losslessly (x264 -qp 0), for benchmarks'))
  .action((input, flags) => processCommand(input, flags));

withCommonFlags(program.command('demo').description('publish the built-in demo source (logo + subtitles) to a running server')
  .option('--key <key>', 'stream key to publish on (default: demo.key)')
  .option('--duration <seconds>', 'stop after this many seconds', Number))
  .action((flags) => demoCommand(flags));

program.parseAsync().catch(async (err: unknown) => {
  await killAllChildren();
  const message = err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
