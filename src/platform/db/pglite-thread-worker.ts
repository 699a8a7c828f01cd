import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { lowerThreadPriority } from '../thread-priority.ts';
import { pgliteOptions } from './pglite-settings.ts';
import type { FromThread, ThreadData, ToThread } from './pglite-thread.ts';

// One embedded database on its own thread: the WebAssembly Postgres and its file I/O run here, so the
// thread that serves HTTP only sends statements and receives rows.
const { dataDir, background } = workerData as ThreadData;
const port = parentPort!;
const post = (message: FromThread) => port.postMessage(message);
if (background) lowerThreadPriority();

let db: PGlite;
try {
  db = await PGlite.create(dataDir, pgliteOptions(PGlite));
} catch (error) {
  post({ type: 'failed', error: serializeError(error) });
  process.exit(1);
}

// Statements run one at a time in the order they arrive: the sender relies on it to send the next one
// before this one is answered (see PGliteLease in pglite-dialect.ts).
let previous: Promise<unknown> = Promise.resolve();
port.on('message', (message: ToThread) => {
  if (message.type === 'close') {
    previous
      .then(() => db.close())
      .then(
        () => post({ type: 'closed' }),
        () => post({ type: 'closed' }),
      );
    return;
  }
  previous = previous.then(() => run(message));
});

async function run({ id, sql, params, begin }: Extract<ToThread, { type: 'query' }>): Promise<void> {
  try {
    // A transaction's `begin` travels with its first statement, which only runs if `begin` succeeded.
    if (begin) await db.query('begin');
    const result = await db.query(sql, params);
    post({
      type: 'result',
      id,
      rows: result.rows,
      ...(result.affectedRows !== undefined ? { affectedRows: result.affectedRows } : {}),
    });
  } catch (error) {
    post({ type: 'result', id, error: serializeError(error) });
  }
}
post({ type: 'ready' });

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
