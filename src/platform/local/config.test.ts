import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'donut-config-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('MEMORY_TRIM_INTERVAL_MS', () => {
  // The trim reaches glibc through Node's experimental node:ffi: an operator turns it on knowingly.
  it('is 0 (off) unless set', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir })).memoryTrimIntervalMs).toBe(0);
    expect((await loadConfig({ DATA_DIR: dataDir, MEMORY_TRIM_INTERVAL_MS: '0' })).memoryTrimIntervalMs).toBe(0);
    expect((await loadConfig({ DATA_DIR: dataDir, MEMORY_TRIM_INTERVAL_MS: '250' })).memoryTrimIntervalMs).toBe(250);
  });

  // Node would run a timer longer than 2^31 - 1 ms every millisecond instead.
  it.each(['-1', '1.5', 'often', '9999999999'])('refuses %s, naming the variable', async (value) => {
    const loading = loadConfig({ DATA_DIR: dataDir, MEMORY_TRIM_INTERVAL_MS: value });
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(/MEMORY_TRIM_INTERVAL_MS/);
  });
});
