import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topology } from '../../topology.ts';
import { ConfigError, checkFactoryQueueVisibility, loadConfig } from './config.ts';

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

describe('FACTORY_TIMEOUT_MS and the factory-orders visibility timeout', () => {
  const check = async (env: Record<string, string>) =>
    checkFactoryQueueVisibility(await loadConfig({ DATA_DIR: dataDir, ...env }), topology);

  it('defaults to a slow factory that fits the factory-orders queue', async () => {
    const config = await loadConfig({ DATA_DIR: dataDir });
    expect(config.factory.timeoutMs).toBeGreaterThanOrEqual(10_000);
    expect(() => checkFactoryQueueVisibility(config, topology)).not.toThrow();
  });

  it('refuses a visibility timeout a factory call does not fit in, naming both settings', async () => {
    await expect(check({ QUEUE_VISIBILITY_TIMEOUT_S: '5' })).rejects.toBeInstanceOf(ConfigError);
    await expect(check({ QUEUE_VISIBILITY_TIMEOUT_S: '5' })).rejects.toThrow(
      /factory-orders.*QUEUE_VISIBILITY_TIMEOUT_S[\s\S]*FACTORY_TIMEOUT_MS/,
    );
    // The call plus its margin must fit, not the timeout alone.
    await expect(check({ QUEUE_VISIBILITY_TIMEOUT_S: '1', FACTORY_TIMEOUT_MS: '900' })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(check({ QUEUE_VISIBILITY_TIMEOUT_S: '1', FACTORY_TIMEOUT_MS: '500' })).resolves.toBeUndefined();
    await expect(check({ FACTORY_TIMEOUT_MS: '60000' })).rejects.toThrow(/factory-orders/);
  });
});

describe('IDEMPOTENCY_TTL_S', () => {
  it('is a day unless set', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir })).idempotencyTtlS).toBe(86_400);
    expect((await loadConfig({ DATA_DIR: dataDir, IDEMPOTENCY_TTL_S: '600' })).idempotencyTtlS).toBe(600);
  });

  it.each(['0', '-5', '1.5', 'forever', '9999999999'])('refuses %s, naming the variable', async (value) => {
    await expect(loadConfig({ DATA_DIR: dataDir, IDEMPOTENCY_TTL_S: value })).rejects.toThrow(/IDEMPOTENCY_TTL_S/);
  });
});
