import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/spawned.ts';

/**
 * Vitest global setup: starts a private PostgreSQL cluster (Debian's server binaries, installed by
 * scripts/ensure-postgres.sh when missing) on a free loopback port, for the tests that run on both
 * database engines. Provides its admin URL as `postgresUrl`; stops and removes it afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = path.resolve(import.meta.dirname, '../..');
  const ensure = spawnSync('bash', [path.join(root, 'scripts/ensure-postgres.sh')], { stdio: 'inherit' });
  if (ensure.status !== 0) throw new Error('PostgreSQL is needed for the tests; see the message above');
  const bin = findBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'donut-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = path.join(dir, 'data');
  // PostgreSQL refuses to run as root: run it as the postgres user when we are root.
  const asOwner = (cmd: string, args: string[]) =>
    process.getuid?.() === 0
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
      : execFileSync(cmd, args, { stdio: 'pipe' });
  asOwner(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  asOwner(path.join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    path.join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`,
    'start',
  ]);
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    try {
      asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function findBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(base, version, 'bin');
    if (existsSync(path.join(bin, 'initdb'))) return bin;
  }
  throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
