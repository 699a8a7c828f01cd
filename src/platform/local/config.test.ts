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
  it('is a second unless set, and 0 turns the trim off', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir })).memoryTrimIntervalMs).toBe(1000);
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

describe('DASHBOARD_MAX_STREAMS and DASHBOARD_INTERVAL_MS', () => {
  it('are 100 streams and a second unless set', async () => {
    const config = await loadConfig({ DATA_DIR: dataDir });
    expect(config.dashboardMaxStreams).toBe(100);
    expect(config.dashboardIntervalMs).toBe(1000);
    const set = await loadConfig({ DATA_DIR: dataDir, DASHBOARD_MAX_STREAMS: '5', DASHBOARD_INTERVAL_MS: '250' });
    expect(set.dashboardMaxStreams).toBe(5);
    expect(set.dashboardIntervalMs).toBe(250);
  });

  it.each([
    ['DASHBOARD_MAX_STREAMS', '0'],
    ['DASHBOARD_MAX_STREAMS', 'many'],
    ['DASHBOARD_INTERVAL_MS', '0'],
    ['DASHBOARD_INTERVAL_MS', '3600000'],
  ])('refuses %s=%s, naming the variable', async (name, value) => {
    const loading = loadConfig({ DATA_DIR: dataDir, [name]: value });
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(new RegExp(name));
  });
});
