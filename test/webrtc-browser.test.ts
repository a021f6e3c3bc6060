import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rect } from '../src/core/frame.js';
import type { ClearcastServer } from '../src/server.js';
import { BOX } from './helpers/media.js';
import { FAKE_MEDIA_ARGS, launchChromium } from './helpers/chromium.js';
import { startTestServer, waitFor } from './helpers/server.js';
import { whepView } from './helpers/webrtc.js';


/** A <video>'s current picture in rect, as RGBA bytes, read back through a canvas. */
function videoPixels(page: Page, selector: string, rect: Rect): Promise<{ rgba: number[]; width: number; height: number }> {
  return page.evaluate(({ selector, rect }) => {
    const video = document.querySelector(selector) as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(video, 0, 0);
    return { rgba: [...ctx.getImageData(rect.x, rect.y, rect.width, rect.height).data], width: video.videoWidth, height: video.videoHeight };
  }, { selector, rect });
}

async function redFraction(page: Page, selector: string, rect: Rect): Promise<{ red: number; width: number; height: number }> {
  const { rgba, width, height } = await videoPixels(page, selector, rect);
  let red = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i]! > 170 && rgba[i + 1]! < 90 && rgba[i + 2]! < 90) red++;
  return { red: red / (rgba.length / 4), width, height };
}

describe('WHIP publish and WHEP watch pages in headless Chromium', () => {
  let server: ClearcastServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: { filter: 'manual', regions: { '*': [], browser: [BOX] } }, webrtc: { peerTimeoutMs: 3000 } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a watch page waits for the publisher; a publish page sends a test pattern with a red box; the watcher sees it clean', async () => {
    const key = 'browser';
    const errors: string[] = [];
    // The viewer first: with nothing to receive it has only ICE consent checks to show it is alive.
    const viewer = await browser.newPage();
    viewer.on('pageerror', (err) => errors.push(err.message));
    await viewer.goto(`${server.urls.http}/watch.html?key=${key}`);
    await waitFor('WHEP session', () => server.whep.viewerCount(key) === 1 || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 4500));
    expect(server.whep.viewerCount(key)).toBe(1);

    const publisher = await browser.newPage();
    publisher.on('pageerror', (err) => errors.push(err.message));
    const box = `${BOX.x},${BOX.y},${BOX.width},${BOX.height}`;
    await publisher.goto(`${server.urls.http}/publish.html?key=${key}&box=${box}&autostart=1`);
    const pipeline = await waitFor('WHIP stream running', () => server.registry.get(key)?.stats().state === 'running' && server.registry.get(key), 20_000);
    expect(pipeline.stats().width).toBe(640);

    await expect.poll(() => viewer.evaluate(() => (window as unknown as { clearcast: { stats: { framesDecoded?: number } } }).clearcast.stats.framesDecoded ?? 0), { timeout: 20_000 })
      .toBeGreaterThan(30);
    expect(server.whep.viewerCount(key)).toBe(1);

    // The publisher's own picture has the box; what the viewer decodes does not.
    const source = await redFraction(publisher, '#preview', BOX);
    expect(source.red).toBeGreaterThan(0.9);
    const clean = await redFraction(viewer, '#video', BOX);
    expect([clean.width, clean.height]).toEqual([640, 360]);
    expect(clean.red).toBeLessThan(0.1);
    // Beside the box the picture came through (not a black or frozen frame): the gradient is there.
    const [r, g, b] = (await videoPixels(viewer, '#video', { x: 100, y: 200, width: 1, height: 1 })).rgba;
    const beside = r! + g! + b!;
    expect(beside).toBeGreaterThan(100);

    await viewer.close();
    await publisher.evaluate(() => (window as unknown as { clearcast: { stop(): Promise<void> } }).clearcast.stop());
    await waitFor('stream ended by the page\'s DELETE', () => !server.registry.has(key), 10_000);
    await waitFor('viewer session gone', () => server.whep.viewerCount(key) === 0 || undefined, 10_000);
    expect(errors).toEqual([]);
  });

  it('the publish page sends the (fake) camera and microphone: the stream runs and Opus reaches a WHEP viewer', async () => {
    const key = 'camera';
    const cameraBrowser = await launchChromium(FAKE_MEDIA_ARGS);
    try {
      const page = await cameraBrowser.newPage();
      await page.goto(`${server.urls.http}/publish.html?key=${key}&source=camera&autostart=1`);
      const pipeline = await waitFor('camera stream running', () => server.registry.get(key)?.stats().state === 'running' && server.registry.get(key), 20_000);
      await waitFor('30 frames filtered and encoded', () => pipeline.stats().framesEncoded >= 30 || undefined, 20_000);
      expect(pipeline.stats().width).toBeGreaterThan(0);
      const viewer = await whepView(server.config, server.urls.whep(key), { audio: true });
      await waitFor('camera picture at the viewer', () => viewer.frames.length >= 3 || undefined, 20_000);
      await waitFor('microphone Opus at the viewer', () => viewer.audioPackets() > 25 || undefined, 10_000);
      await viewer.close();
      await page.close();
      await waitFor('stream ended when the page went', () => !server.registry.has(key), 20_000);
    } finally {
      await cameraBrowser.close();
    }
  });
});
