import { mkdir } from 'node:fs/promises';
import { Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import type { DatabaseThread } from './pglite-thread.ts';

export type DatabaseEngine = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** A PostgreSQL connection string; without it an embedded PGlite database lives in `dataDir`. */
  readonly url?: string | undefined;
  readonly dataDir: string;
  readonly migrations: Record<string, Migration>;
  /**
   * PGlite only: run the database on a worker thread, so its WebAssembly and file I/O leave the caller's
   * event loop free: its own (`true`, the default), or one it shares with other databases; `false` runs it
   * in this thread (measurements, one-off reads).
   */
  readonly thread?: boolean | DatabaseThread;
}

export interface Database<T> {
  readonly db: Kysely<T>;
  readonly engine: DatabaseEngine;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// NUMERIC and BIGINT arrive as strings from pg; the schema keeps money in NUMERIC and counts in INTEGER.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * A Kysely over a PostgreSQL pool: DATABASE_URL locally, RDS (through RDS Proxy) on AWS. Connects lazily.
 * `onIdleError` hears about pooled connections dropped while idle, which pg would otherwise raise as an
 * uncaught error (a frozen Lambda's connections are closed by the proxy this way).
 */
export function postgresDatabase<T>(config: pg.PoolConfig, onIdleError?: (error: Error) => void): Kysely<T> {
  const pool = new pg.Pool(config);
  if (onIdleError) pool.on('error', onIdleError);
  return new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
}

/** Applies every pending migration, in name order; throws the first failure. Safe to run again. */
export async function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration>): Promise<string[]> {
  if (!(await hasPendingMigrations(db, migrations))) return [];
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return results.map((r) => r.migrationName);
}

/**
 * One cheap read of the migration table. The migrator introspects the catalog even when there is
 * nothing to do, and on PGlite that leaves ~150 MB of WebAssembly memory touched for good.
 */
async function hasPendingMigrations(db: Kysely<any>, migrations: Record<string, Migration>): Promise<boolean> {
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db).then(
    ({ rows }) => new Set(rows.map((row) => row.name)),
    () => null, // no migration table yet
  );
  return !applied || Object.keys(migrations).some((name) => !applied.has(name));
}

/** Opens (and migrates) one service database: PGlite on disk by default, PostgreSQL when `url` is set. */
export async function openDatabase<T>(options: DatabaseOptions): Promise<Database<T>> {
  let db: Kysely<T>;
  let engine: DatabaseEngine;
  if (options.url) {
    engine = 'postgres';
    db = postgresDatabase<T>({ connectionString: options.url, max: 10 });
  } else {
    engine = 'pglite';
    await mkdir(options.dataDir, { recursive: true });
    const pglite = await openPGlite(options.dataDir, options.thread ?? true);
    db = new Kysely<T>({ dialect: new PGliteDialect(pglite) });
  }
  try {
    await migrateToLatest(db, options.migrations);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    engine,
    ping: async () => {
      await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
    },
    close: () => db.destroy(),
  };
}

async function openPGlite(dataDir: string, thread: boolean | DatabaseThread) {
  if (thread === true) {
    const { PGliteThread } = await import('./pglite-thread.ts');
    return PGliteThread.start(dataDir);
  }
  if (thread) return thread.open(dataDir);
  const [{ PGlite }, { pgliteOptions }, { PGliteStatements }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('./pglite-settings.ts'),
    import('./pglite-prepared.ts'),
  ]);
  return new PGliteStatements(await PGlite.create(dataDir, pgliteOptions(PGlite)));
}
