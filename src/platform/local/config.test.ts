import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topology } from '../../topology.ts';
import { adminTokenForDisplay, ConfigError, checkFactoryQueueVisibility, loadConfig } from './config.ts';

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

describe('DATA_DIR and secrets.json', () => {
  const fresh = async () => path.join(await mkdtemp(path.join(dataDir, 'fresh-')), 'data');

  it('creates DATA_DIR for its owner alone and writes secrets.json readable by its owner alone', async () => {
    const dir = await fresh();
    await loadConfig({ DATA_DIR: dir });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    // Written whole under another name and renamed into place: no temporary file is left behind.
    expect(await readdir(dir)).toEqual(['secrets.json']);
  });

  it('never writes the secrets through a secrets.json link to another file', async () => {
    const dir = await fresh();
    await mkdir(dir, { recursive: true });
    const elsewhere = path.join(path.dirname(dir), 'planted.json');
    await symlink(elsewhere, path.join(dir, 'secrets.json'));
    const config = await loadConfig({ DATA_DIR: dir });
    await expect(stat(elsewhere)).rejects.toThrow();
    expect((await lstat(path.join(dir, 'secrets.json'))).isFile()).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'secrets.json'), 'utf8'))).toMatchObject({
      adminToken: config.adminToken,
    });
  });

  it('keeps the secrets across starts', async () => {
    const dir = await fresh();
    const first = await loadConfig({ DATA_DIR: dir });
    const again = await loadConfig({ DATA_DIR: dir });
    expect(again.adminToken).toBe(first.adminToken);
    expect(again.callbackSecret).toBe(first.callbackSecret);
  });

  it.each(['644', '640', '604', '620', '602', '666'])(
    'refuses to start when secrets.json has mode %s, naming the file and the fix',
    async (mode) => {
      const dir = await fresh();
      await loadConfig({ DATA_DIR: dir });
      const file = path.join(dir, 'secrets.json');
      await chmod(file, Number.parseInt(mode, 8));
      const loading = loadConfig({ DATA_DIR: dir });
      await expect(loading).rejects.toBeInstanceOf(ConfigError);
      await expect(loading).rejects.toThrow(file);
      await expect(loading).rejects.toThrow(`chmod 600 ${file}`);
    },
  );

  it('refuses a secrets.json that is not whole, naming the file', async () => {
    const dir = await fresh();
    await loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'secrets.json');
    await writeFile(file, '{"adminToken": "abc', { mode: 0o600 });
    const loading = loadConfig({ DATA_DIR: dir });
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(file);
  });
});

describe('the admin token in the start banner', () => {
  it('is shown whole only when it was just generated', async () => {
    const dir = path.join(await mkdtemp(path.join(dataDir, 'banner-')), 'data');
    const generated = await loadConfig({ DATA_DIR: dir });
    expect(generated.adminTokenSource).toBe('generated');
    expect(adminTokenForDisplay(generated)).toContain(generated.adminToken);

    const stored = await loadConfig({ DATA_DIR: dir });
    expect(stored.adminTokenSource).toBe('stored');
    expect(adminTokenForDisplay(stored)).not.toContain(stored.adminToken.slice(3));
    expect(adminTokenForDisplay(stored)).toContain(`${stored.adminToken.slice(0, 3)}…`);
  });

  it('is masked when the operator set ADMIN_TOKEN', async () => {
    const config = await loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: 'operator-chosen-token' });
    expect(config.adminTokenSource).toBe('environment');
    expect(config.adminToken).toBe('operator-chosen-token');
    const shown = adminTokenForDisplay(config);
    expect(shown).toContain('ope…');
    expect(shown).not.toContain('operator-chosen-token');
    expect(shown).not.toContain('rator');
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
