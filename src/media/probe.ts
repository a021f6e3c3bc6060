import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FFPROBE_BIN } from './ffmpeg.js';

const run = promisify(execFile);

export interface MediaInfo {
  width: number;
  height: number;
  fps: number;
  /** Frame count from the container, or estimated from duration; undefined when neither is known. */
  frames: number | undefined;
  durationS: number | undefined;
  audioCodec: string | undefined;
}

function parseRate(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  return d ? n! / d : Number(n) || 0;
}

export async function probeMedia(path: string): Promise<MediaInfo> {
  let out: string;
  try {
    ({ stdout: out } = await run(FFPROBE_BIN, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { maxBuffer: 8 << 20 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`cannot read ${path}: ${(e.stderr ?? e.message).trim().split('\n').pop()}`);
  }
  const doc = JSON.parse(out) as { streams?: Record<string, string | number | undefined>[]; format?: { duration?: string } };
  const video = doc.streams?.find((s) => s.codec_type === 'video');
  if (!video) throw new Error(`${path} has no video stream`);
  const audio = doc.streams?.find((s) => s.codec_type === 'audio');
  const fps = parseRate(String(video.avg_frame_rate ?? '')) || parseRate(String(video.r_frame_rate ?? '')) || 30;
  const durationS = Number(video.duration ?? doc.format?.duration) || undefined;
  const nb = Number(video.nb_frames);
  return {
    width: Number(video.width),
    height: Number(video.height),
    fps,
    frames: Number.isFinite(nb) && nb > 0 ? nb : durationS ? Math.round(durationS * fps) : undefined,
    durationS,
    audioCodec: audio ? String(audio.codec_name) : undefined,
  };
}
