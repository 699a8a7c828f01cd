import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenForDisplay, ConfigError, loadConfig } from './config.ts';

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
