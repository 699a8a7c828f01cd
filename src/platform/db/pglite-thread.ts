import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { workerResourceLimits } from '../worker-limits.ts';
import { nextMessage, type SerializedError, toError } from '../worker-message.ts';
import type { PipelinedPGlite, QueryAnswer } from './pglite-dialect.ts';

/** What the database thread starts with. */
export interface ThreadData {
  readonly dataDir: string;
  /** Run at a lower OS priority: a database only queue consumers use (see thread-priority.ts). */
  readonly background: boolean;
}

/** Messages to the database thread. */
export type ToThread =
  | { type: 'query'; id: number; sql: string; params: unknown[]; begin?: boolean }
  | { type: 'close' };
/** Messages from the database thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'closed' }
  | { type: 'result'; id: number; rows?: unknown[]; affectedRows?: number; error?: SerializedError };

const run = promisify(execFile);

interface Waiting {
  resolve: (result: { rows: any[]; affectedRows?: number }) => void;
  reject: (error: Error) => void;
}

/**
 * An embedded PGlite database running on a worker thread of this process, behind the same small
 * interface the Kysely dialect uses for an in-process one. Statements and rows cross the thread
 * boundary by structured clone (dates, numbers, JSON values survive as they are).
 */
export class PGliteThread implements PipelinedPGlite {
  /** The thread runs statements one at a time in arrival order, and the message channel keeps that order. */
  readonly pipelines = true;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #gone: Error | undefined;
  #closed: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: FromThread) => {
      if (message.type !== 'result') return;
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      if (message.error) waiting.reject(toError(message.error));
      else
        waiting.resolve({
          rows: message.rows ?? [],
          ...(message.affectedRows !== undefined ? { affectedRows: message.affectedRows } : {}),
        });
    });
    const fail = (error: Error) => {
      this.#gone ??= error;
      for (const waiting of this.#waiting.values()) waiting.reject(this.#gone);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the database thread exited (code ${code})`)));
  }

  /**
   * Starts the thread and opens the database in `dataDir`; resolves once it answers. A new database is
   * first created by a short-lived child process: initdb takes hundreds of megabytes that this process
   * would otherwise keep for its whole life.
   */
  static async start(dataDir: string, options: { background?: boolean } = {}): Promise<PGliteThread> {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await createDatabase(dataDir);
    return new PGliteThread(await spawn({ dataDir, background: options.background ?? false }));
  }

  query<R>(sql: string, params: unknown[] = []): Promise<QueryAnswer<R>> {
    return this.#send(sql, params, false);
  }

  queryAfterBegin<R>(sql: string, params: unknown[] = []): Promise<QueryAnswer<R>> {
    return this.#send(sql, params, true);
  }

  #send<R>(sql: string, params: unknown[], begin: boolean): Promise<QueryAnswer<R>> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ type: 'query', id, sql, params, ...(begin ? { begin } : {}) } satisfies ToThread);
      } catch (error) {
        // A parameter that cannot be cloned to the thread (a function, say): this statement fails alone.
        this.#waiting.delete(id);
        reject(error);
      }
    });
  }

  /** Closes the database cleanly (a checkpoint on disk), then ends the thread. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (!this.#gone) {
        // Closed, or the thread ended some other way: either way there is nothing left to close.
        const closed = nextMessage(this.#worker, 'closed', 'the database thread').catch(() => {});
        this.#worker.postMessage({ type: 'close' } satisfies ToThread);
        await closed;
      }
      this.#gone ??= new Error('the database is closed');
      await this.#worker.terminate();
    })();
    return this.#closed;
  }
}

async function createDatabase(dataDir: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-create.ts', import.meta.url));
  try {
    await run(process.execPath, [script, dataDir]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not create the database in ${dataDir}${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

async function spawn(data: ThreadData): Promise<Worker> {
  const worker = new Worker(new URL('./pglite-thread-worker.ts', import.meta.url), {
    workerData: data,
    resourceLimits: workerResourceLimits,
  });
  await nextMessage(worker, 'ready', `the database thread for ${data.dataDir}`);
  return worker;
}
