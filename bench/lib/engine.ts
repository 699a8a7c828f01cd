import { cp } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { CustomersTables } from '../../src/databases/customers/tables.ts';
import { inventoryMigrations } from '../../src/databases/inventory/migrations.ts';
import type { InventoryTables } from '../../src/databases/inventory/tables.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { customersMigrations } from '../../src/services/customers/index.ts';
import { topology } from '../../src/topology.ts';
import { createPostgresDatabases } from '../../test/helpers/system.ts';
import startPostgres from '../../test/setup/postgres.ts';

export type EngineName = 'pglite' | 'postgres';

/** Where a benchmarked system keeps its databases. */
export interface BenchEngine {
  readonly name: EngineName;
  /**
   * The environment that points a fresh system, keeping its files under `dataDir`, at fresh, empty
   * databases (none for PGlite: DATA_DIR).
   */
  databases(dataDir: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** `--engine pglite|postgres` from the command line; PGlite when not given. */
export function engineFromArgs(args: readonly string[]): EngineName {
  const i = args.indexOf('--engine');
  const name = i >= 0 ? args[i + 1] : 'pglite';
  if (name !== 'pglite' && name !== 'postgres') throw new Error(`--engine is pglite or postgres, not ${name}`);
  return name;
}

export const pgliteEngine: BenchEngine = { name: 'pglite', databases: async () => ({}), stop: async () => {} };

/**
 * PGlite whose databases start as copies of `template`, an empty initialised cluster, instead of each
 * running initdb inside WebAssembly at start (seconds each): for tests that start many systems.
 */
export function pgliteEngineFrom(template: string): BenchEngine {
  return {
    name: 'pglite',
    databases: async (dataDir) => {
      await Promise.all(topology.databases.map((d) => cp(template, path.join(dataDir, d.name), { recursive: true })));
      return {};
    },
    stop: async () => {},
  };
}

/**
 * PostgreSQL: the same private cluster the tests start (Debian's server binaries, on a free loopback port,
 * removed afterwards), with fresh databases for every system the benchmark starts.
 */
export async function startEngine(name: EngineName): Promise<BenchEngine> {
  if (name === 'pglite') return pgliteEngine;
  let adminUrl: string | undefined;
  const stop = await startPostgres({
    provide: (key: string, value: string) => {
      if (key === 'postgresUrl') adminUrl = value;
    },
  } as unknown as TestProject);
  if (!adminUrl) throw new Error('the PostgreSQL cluster did not start');
  return postgresEngine(adminUrl, stop);
}

/** Fresh databases on the PostgreSQL server at `adminUrl` for every system; `stop` at most once. */
export function postgresEngine(adminUrl: string, stopServer: () => Promise<void> = async () => {}): BenchEngine {
  let stopped = false;
  return {
    name: 'postgres',
    databases: () => createPostgresDatabases(adminUrl),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopServer();
    },
  };
}

/** The URL of `database` in a system's environment, or undefined on PGlite. */
export function databaseUrl(env: Record<string, string>, database: string): string | undefined {
  const declared = topology.databases.find((d) => d.name === database);
  if (!declared) throw new Error(`no database ${database} in the topology`);
  return env[declared.urlVariable];
}

/** A finished run's inventory and customers databases, to check its invariants: under DATA_DIR or by URL. */
export async function openRunDatabases(dataDir: string, env: Record<string, string>) {
  const inventory = await openDatabase<InventoryTables>({
    dataDir: path.join(dataDir, 'inventory'),
    url: databaseUrl(env, 'inventory'),
    migrations: inventoryMigrations,
  });
  const customers = await openDatabase<CustomersTables>({
    dataDir: path.join(dataDir, 'customers'),
    url: databaseUrl(env, 'customers'),
    migrations: customersMigrations,
  });
  return {
    inventory,
    customers,
    close: async () => {
      await inventory.close();
      await customers.close();
    },
  };
}
