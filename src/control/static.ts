import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Served from the source tree in both layouts (tsc does not copy assets into dist/).
const UI_DIR = join(PROJECT_ROOT, 'src', 'control', 'ui');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/** URL path -> file. A fixed list: nothing outside it is reachable, whatever the path says. */
const ROUTES = new Map<string, string>([
  ['/', join(UI_DIR, 'index.html')],
  ['/ui/app.js', join(UI_DIR, 'app.js')],
  ['/ui/charts.js', join(UI_DIR, 'charts.js')],
  ['/ui/style.css', join(UI_DIR, 'style.css')],
  ['/publish.html', join(UI_DIR, 'publish.html')],
  ['/watch.html', join(UI_DIR, 'watch.html')],
  ['/ui/publish.js', join(UI_DIR, 'publish.js')],
  ['/ui/watch.js', join(UI_DIR, 'watch.js')],
  ['/ui/webrtc-client.js', join(UI_DIR, 'webrtc-client.js')],
  ['/vendor/uPlot.iife.min.js', join(UPLOT_DIR, 'uPlot.iife.min.js')],
  ['/vendor/uPlot.min.css', join(UPLOT_DIR, 'uPlot.min.css')],
]);

export async function staticAsset(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  const file = ROUTES.get(path);
  if (!file) return undefined;
  const ext = file.slice(file.lastIndexOf('.'));
  return { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream' };
}
