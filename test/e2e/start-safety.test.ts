import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { topology } from '../../src/topology.ts';
import { listeningSockets } from '../helpers/listening.ts';
import { freePort, type SpawnedSystem, spawnSystem, startEnv } from '../helpers/spawned.ts';
import { copyEmptyPglite, waitFor } from '../helpers/system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const root = path.resolve(import.meta.dirname, '../..');

async function start(env: Record<string, string | undefined>): Promise<{ system: SpawnedSystem; port: number }> {
  const port = await freePort();
  // Generous: a loaded machine can take a while to open three embedded databases.
  const system = await spawnSystem(
    { PORT: String(port), FACTORY_PORT: String(await freePort()), ...env },
    { timeoutMs: 150_000 },
  );
  cleanups.push(() => system.stop());
  await waitFor('the start banner', async () => system.output().includes('admin token'));
  return { system, port };
}

function bannerLine(output: string): string {
  return output.split('\n').find((line) => line.includes('admin token')) ?? '';
}

describe('`npm start` keeps its secrets and helpers to itself', () => {
  it('prints a token it generated, masks it afterwards and an operator-supplied one always; data stays private', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'donut-start-'));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'data');
    const secretsFile = path.join(dataDir, 'secrets.json');

    const first = await start({ DATA_DIR: dataDir, ADMIN_TOKEN: undefined });
    const { adminToken } = JSON.parse(await readFile(secretsFile, 'utf8')) as { adminToken: string };
    expect(bannerLine(first.system.output())).toContain(adminToken);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    // The queue emulator, the mail sink and the factory simulator answer this machine only; the gateway follows HOST.
    const sockets = await listeningSockets(first.system.child.pid!);
    expect(sockets.length).toBeGreaterThanOrEqual(4);
    expect(sockets.filter((s) => s.port !== first.port && s.address !== '127.0.0.1')).toEqual([]);
    await first.system.stop();

    const operatorToken = 'operator-supplied-token-42';
    const second = await start({ DATA_DIR: dataDir, ADMIN_TOKEN: operatorToken });
    const line = bannerLine(second.system.output());
    expect(line).toContain('ope…');
    expect(second.system.output()).not.toContain(operatorToken);
    expect(second.system.output()).not.toContain(adminToken);
    expect(
      (await second.system.api('/ops/queues', { headers: { authorization: `Bearer ${operatorToken}` } })).status,
    ).toBe(200);
  }, 300_000);

  it('refuses to start when secrets.json is readable by others, naming the file and the fix', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'donut-start-'));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'data');
    const secretsFile = path.join(dataDir, 'secrets.json');
    // Only secrets.json matters here: the databases start as copies of the run's empty cluster.
    await Promise.all(topology.databases.map((d) => copyEmptyPglite(path.join(dataDir, d.name))));
    const { system } = await start({ DATA_DIR: dataDir });
    await system.stop();
    await chmod(secretsFile, 0o644);

    const child = spawn(process.execPath, [path.join(root, 'src/app/local/main.ts')], {
      cwd: root,
      env: startEnv({ DATA_DIR: dataDir, PORT: String(await freePort()) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    // A start that is not refused would keep running: give up on it well before the test's own timeout.
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 90_000)),
    ]);
    expect(code).toBe(2);
    expect(output).toContain(secretsFile);
    expect(output).toContain(`chmod 600 ${secretsFile}`);
  }, 300_000);
});
