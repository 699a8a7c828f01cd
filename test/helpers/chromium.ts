import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, installed by the project's own script; a missing browser fails loudly, never skips. */
export function ensureBrowser(): void {
  const result = spawnSync('bash', [path.join(root, 'scripts/install-browser.sh')], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`the browser tests need ${CHROMIUM}; scripts/install-browser.sh could not install it`);
  }
}

/** A headless Chromium with a fresh profile; `close()` also removes the profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  ensureBrowser();
  const profile = await mkdtemp(path.join(tmpdir(), 'donut-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
