import type { Rect } from '../core/frame.js';
import { FfmpegProcess } from '../media/ffmpeg.js';

export interface DemoGeometry {
  readonly logo: Rect;
  readonly subtitles: Rect;
}

const even = (v: number): number => Math.round(v / 2) * 2;

/**
 * Where the demo draws its overlays. One definition serves the generator and `serve --demo`'s
 * manual regions, so the demo stays clean until the detector exists.
 */
export function demoGeometry(width: number, height: number): DemoGeometry {
  const logoW = even(width * 0.2);
  const logoH = even(height * 0.09);
  const margin = even(width * 0.03);
  return {
    logo: { x: width - logoW - margin, y: margin, width: logoW, height: logoH },
    subtitles: { x: even(width * 0.1), y: even(height * 0.8), width: even(width * 0.8), height: even(height * 0.12) },
  };
}

const SUBTITLES = [
  'Live from the Clearcast demo studio',
  'Nobody drew a mask for this caption',
  'Logos and subtitles, removed in real time',
];

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** ffmpeg arguments for a live demo source: moving gradients, a translucent logo, changing subtitles, a tone. */
export function demoSourceArgs(opts: { width: number; height: number; fps: number; output: string; durationS?: number; realtime?: boolean }): string[] {
  const { width: w, height: h, fps } = opts;
  const g = demoGeometry(w, h);
  const period = 3 * SUBTITLES.length;
  const fontSize = Math.round(h * 0.05);
  const subs = SUBTITLES.map((text, i) => {
    const from = i * 3;
    return `drawtext=fontfile=${FONT}:text='${text}':fontsize=${fontSize}:fontcolor=white:borderw=3:bordercolor=black`
      + `:x=(w-text_w)/2:y=${g.subtitles.y + Math.round((g.subtitles.height - fontSize) / 2)}:enable='between(mod(t\\,${period})\\,${from}\\,${from + 2.4})'`;
  });
  const logo = [
    `drawbox=x=${g.logo.x}:y=${g.logo.y}:w=${g.logo.width}:h=${g.logo.height}:color=0x1060c0@0.55:t=fill`,
    `drawtext=fontfile=${FONT}:text='CLEARCAST TV':fontsize=${Math.round(g.logo.height * 0.45)}:fontcolor=white@0.8`
      + `:x=${g.logo.x}+(${g.logo.width}-text_w)/2:y=${g.logo.y}+(${g.logo.height}-text_h)/2`,
  ];
  const video = `gradients=s=${w}x${h}:r=${fps}:speed=0.02:n=4:seed=7,format=yuv420p,${[...logo, ...subs].join(',')}`;
  return [
    ...(opts.realtime === false ? [] : ['-re']),
    '-f', 'lavfi', '-i', video,
    '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=48000',
    ...(opts.durationS ? ['-t', String(opts.durationS)] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(fps * 2), '-b:v', '2500k',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'flv', opts.output,
  ];
}

/** Publishes the demo to an RTMP URL until killed. */
export function startDemoPublisher(opts: { width: number; height: number; fps: number; url: string; durationS?: number }): FfmpegProcess {
  return new FfmpegProcess({ name: 'demo publisher', args: ['-loglevel', 'error', ...demoSourceArgs({ ...opts, output: opts.url })] });
}
