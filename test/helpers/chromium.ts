import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser; mDNS host-candidate hiding off so loopback ICE works. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--no-first-run', '--disable-sync'];

/** Chromium's built-in fake camera and microphone, granted without a prompt. */
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}
