import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/core/paths.js';
import type { ClearcastServer } from '../src/server.js';
import { BOX, decodeFrame, fractionNear, lumaDiff, probeStreams, publish, recordHttpFlv } from './helpers/media.js';
import { launchChromium } from './helpers/chromium.js';
import { startTestServer, waitFor } from './helpers/server.js';

const W = 640;
const H = 360;
/** Luma of the clips' solid red box (BT.601 limited range). */
const RED_Y = 82;
const dir = mkdtempSync(join(tmpdir(), 'clearcast-dashboard-'));


describe('dashboard in headless Chromium', () => {
  let server: ClearcastServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: { filter: 'manual', regions: { '*': [BOX] } } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the stream and its region; toggling it changes the output pixels and a second dashboard', async () => {
    const key = 'show';
    const cleanFile = join(dir, 'clean.flv');
    const rec = recordHttpFlv(server.urls.cleanFlv(key), cleanFile);
    await new Promise((r) => setTimeout(r, 500));
    const pub = publish(server.urls.publish(key), { width: W, height: H, seconds: 60 });
    const pipeline = await waitFor('stream running', () => server.registry.get(key));

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.urls.http}/`);
    const card = page.locator(`.stream[data-key="${key}"]`);
    await card.waitFor({ timeout: 15_000 });
    const toggle = card.locator('.region-toggle[data-region-id="manual-0"]');
    await expect.poll(() => toggle.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true');
    // The region is drawn over the picture where the source has it.
    const box = card.locator('.before .region[data-region-id="manual-0"]');
    const [left, top] = await box.evaluate((el) => [parseFloat(el.style.left), parseFloat(el.style.top)]);
    expect(left).toBeCloseTo((BOX.x / W) * 100, 2);
    expect(top).toBeCloseTo((BOX.y / H) * 100, 2);
    await expect.poll(() => card.locator('.after img').getAttribute('src'), { timeout: 10_000 }).toMatch(/^data:image\/jpeg/);
    await expect.poll(() => card.locator('.state').textContent(), { timeout: 10_000 }).toBe('running');

    const second = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await second.goto(`${server.urls.http}/`);
    const secondToggle = second.locator(`.stream[data-key="${key}"] .region-toggle[data-region-id="manual-0"]`);
    await expect.poll(() => secondToggle.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true');
    // Phone width: nothing overflows sideways.
    expect(await second.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Let the charts collect a few points, then keep a picture of the dashboard for the docs.
    await waitFor('frames to chart', () => pipeline.stats().framesEncoded > 120 || undefined, 20_000);
    // docs/dashboard.png is refreshed on request only, so ordinary test runs leave the tree clean.
    const shot = process.env.UPDATE_DOCS_SCREENSHOT ? join(PROJECT_ROOT, 'docs', 'dashboard.png') : join(dir, 'dashboard.png');
    expect((await page.screenshot({ path: shot })).length).toBeGreaterThan(20_000);

    const encodedBeforeClick = pipeline.stats().framesEncoded;
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed'), { timeout: 5000 }).toBe('false');
    await expect.poll(() => secondToggle.getAttribute('aria-pressed'), { timeout: 5000 }).toBe('false');
    expect(await second.locator(`.stream[data-key="${key}"] .before .region[data-region-id="manual-0"]`).getAttribute('data-enabled')).toBe('false');
    const encodedAtAck = pipeline.stats().framesEncoded;
    await waitFor('frames after the toggle', () => pipeline.stats().framesEncoded > encodedAtAck + 30 || undefined, 15_000);

    // Dragging over the input picture adds an exclusion zone where it was drawn (source pixels).
    await page.selectOption('#draw-kind', 'exclusion');
    const overlay = await card.locator('.before .overlay').boundingBox();
    // From (384, 234) to (544, 324) in source pixels: clear of the configured region.
    await page.mouse.move(overlay!.x + overlay!.width * 0.6, overlay!.y + overlay!.height * 0.65);
    await page.mouse.down();
    await page.mouse.move(overlay!.x + overlay!.width * 0.85, overlay!.y + overlay!.height * 0.9, { steps: 5 });
    await page.mouse.up();
    const zone = await waitFor('zone stored', () => server.controls.view(key).regions.find((r) => r.kind === 'exclusion'));
    expect(Math.abs(zone.rect.x - 384)).toBeLessThanOrEqual(4);
    expect(Math.abs(zone.rect.y - 234)).toBeLessThanOrEqual(4);
    expect(zone.rect.width).toBeGreaterThanOrEqual(W / 4 - 8);
    expect(zone.rect.width).toBeLessThanOrEqual(W / 4 + 8);
    await second.locator(`.stream[data-key="${key}"] .before .region.exclusion[data-region-id="${zone.id}"]`).waitFor({ timeout: 5000 });

    pub.child.kill('SIGKILL');
    await waitFor('stream gone', () => !server.registry.has(key), 10_000);
    await rec.stop();
    expect(errors).toEqual([]);

    // Clean output frames: the red box is filled before the toggle and back once it is off.
    const video = (await probeStreams(cleanFile)).find((s) => s.codec_type === 'video')!;
    const frames = Number(video.nb_read_frames);
    expect(frames).toBeGreaterThan(encodedAtAck + 30);
    const before = await decodeFrame(cleanFile, encodedBeforeClick - 10);
    const after = await decodeFrame(cleanFile, frames - 5);
    expect(fractionNear(before, W, BOX, RED_Y, 12)).toBeLessThan(0.2);
    expect(fractionNear(after, W, BOX, RED_Y, 12)).toBeGreaterThan(0.9);
    const d = lumaDiff(before, after, W, H, BOX);
    expect(d.inside).toBeGreaterThan(20);
    expect(d.outside).toBeLessThan(2.5);
  });
});
