import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './helpers/cli.js';
import { BOX, clipArgs, decodeFrame, lumaDiff, probeStreams } from './helpers/media.js';
import { freePort, waitFor } from './helpers/server.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'clearcast-cli-'));

/** Direct children of a process, from /proc (no ps dependency). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('clearcast CLI', () => {
  it('process: same number of frames as the input, audio kept, region filled', async () => {
    const input = join(dir, 'in.mp4');
    const output = join(dir, 'out.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', ...clipArgs({ seconds: 3, fps: 25, realtime: false }), input]);
    const r = await runCli(['process', input, '-o', output, '--region', `${BOX.x},${BOX.y},${BOX.width},${BOX.height}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).frames).toBe(75);
    const [inS, outS] = await Promise.all([probeStreams(input), probeStreams(output)]);
    const count = (s: typeof inS, t: string): number => Number(s.find((x) => x.codec_type === t)?.nb_read_frames ?? s.find((x) => x.codec_type === t)?.nb_read_packets);
    expect(count(outS, 'video')).toBe(count(inS, 'video'));
    expect(outS.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    const a = await decodeFrame(input, 40);
    const b = await decodeFrame(output, 40);
    const d = lumaDiff(a, b, 640, 360, BOX);
    expect(d.inside).toBeGreaterThan(20);
    expect(d.outside).toBeLessThan(2);
  });

  it('process: a missing input fails with a clear message and no output', async () => {
    const r = await runCli(['process', join(dir, 'nope.mp4'), '-o', join(dir, 'x.mp4')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*nope\.mp4/);
    expect(existsSync(join(dir, 'x.mp4'))).toBe(false);
  });

  it('a bad config value stops start-up naming the key', async () => {
    const r = await runCli(['serve', '--set', 'encoder.preset=glacial']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/encoder\.preset/);
  });

  it('serve --demo shows the demo stream, and SIGTERM leaves no child process behind', async () => {
    const http = await freePort();
    const child = spawnCli(['serve', '--demo', '--http-port', String(http), '--rtmp-port', String(await freePort()), '--flv-port', String(await freePort()),
      '--set', `server.dataDir=${dir}/data`, '--set', 'demo.width=640', '--set', 'demo.height=360', '--set', 'log.level=error']);
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    const stream = await waitFor('demo stream to run', async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${http}/api/streams/demo`);
        if (!res.ok) return undefined;
        const s = (await res.json()) as { state: string; framesEncoded: number };
        return s.state === 'running' && s.framesEncoded > 10 ? s : undefined;
      } catch {
        return undefined;
      }
    }, 30_000, 250);
    expect(stream.framesEncoded).toBeGreaterThan(10);
    expect(stdout).toMatch(/Publish: +rtmp:\/\/127\.0\.0\.1:\d+\/live\/<key>/);
    expect(stdout).toMatch(/Watch: +rtmp:\/\/127\.0\.0\.1:\d+\/clean\/<key>/);
    expect(stdout).toMatch(/Dashboard: +http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/WebRTC: +WHIP http:\/\/127\.0\.0\.1:\d+\/whip\/<key>, WHEP http:\/\/127\.0\.0\.1:\d+\/whep\/<key>/);

    // Children: demo publisher, decoder, encoder (all ffmpeg).
    const kids = childrenOf(child.pid!);
    expect(kids.length).toBeGreaterThanOrEqual(3);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    await waitFor('children to be reaped', () => kids.every((k) => !alive(k)) || undefined, 5000);
  });
});
