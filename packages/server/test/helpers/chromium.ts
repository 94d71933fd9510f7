/**
 * Debian's Chromium for the browser tests, driven by playwright-core (no browser download). Under
 * CI (`CI=true`) a missing Chromium is a failure, never a skip: `.ci/run` installs it.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Chromium is looked for: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** True when the browser tests must be skipped: no Chromium, and not under CI. */
export function chromiumSkipped(): boolean {
  return !existsSync(CHROMIUM_PATH) && process.env['CI'] !== 'true';
}

/** Starts headless Chromium; throws (under CI too) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  // As root (CI containers) Chromium refuses to start without --no-sandbox.
  const root = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: root ? ['--no-sandbox'] : [],
  });
}

/** Whether a URL's host is a loopback address (the only targets tests may reach). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
