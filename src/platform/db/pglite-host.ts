import type { MessagePort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGliteStatements } from './pglite-prepared.ts';
import { pgliteOptions } from './pglite-settings.ts';
import type { FromThread, ToThread } from './pglite-thread.ts';

interface Open {
  readonly pglite: PGliteStatements;
  /** The last request of this database; each waits for the one before. */
  previous: Promise<unknown>;
}

/**
 * Serves embedded databases to the other end of `port` (a `DatabaseThread`) from the calling thread: the
 * WebAssembly Postgres and its file I/O run here, so the thread that sends statements only sends them and
 * receives rows. Answers `ready` at once.
 */
export function hostDatabases(port: MessagePort): void {
  const post = (message: FromThread) => port.postMessage(message);
  const databases = new Map<number, Open>();

  // A database's requests run one at a time in the order they arrive: the sender relies on it to send the
  // next statement before this one is answered (see PGliteLease in pglite-dialect.ts). Databases sharing
  // the thread take turns between statements.
  port.on('message', (message: ToThread) => {
    if (message.type === 'open') {
      answer(message.id, async () => {
        databases.set(message.db, {
          pglite: new PGliteStatements(await PGlite.create(message.dataDir, pgliteOptions(PGlite))),
          previous: Promise.resolve(),
        });
        return undefined;
      });
      return;
    }
    const database = databases.get(message.db);
    if (!database) {
      post({ type: 'result', id: message.id, error: { message: 'the database is not open' } });
      return;
    }
    if (message.type === 'close') databases.delete(message.db);
    database.previous = database.previous.then(() =>
      answer(message.id, () => (message.type === 'close' ? close(database.pglite) : query(database.pglite, message))),
    );
  });

  async function answer(id: number, work: () => Promise<{ rows: unknown[]; affectedRows?: number } | undefined>) {
    try {
      const result = await work();
      post({
        type: 'result',
        id,
        ...(result ? { rows: result.rows } : {}),
        ...(result?.affectedRows !== undefined ? { affectedRows: result.affectedRows } : {}),
      });
    } catch (error) {
      post({ type: 'result', id, error: serializeError(error) });
    }
  }

  post({ type: 'ready' });
}

async function close(pglite: PGliteStatements): Promise<undefined> {
  await pglite.close();
  return undefined;
}

async function query(pglite: PGliteStatements, { sql, params, begin }: Extract<ToThread, { type: 'query' }>) {
  // A transaction's `begin` travels with its first statement, which only runs if `begin` succeeded.
  if (begin) await pglite.query('begin');
  return pglite.query(sql, params);
}

/** Postgres errors carry their SQLSTATE and details as own properties; keep them across the thread boundary. */
function serializeError(error: unknown): { message: string; [key: string]: unknown } {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    fields[key] = value;
  }
  return { ...fields, name: error.name, message: error.message };
}
