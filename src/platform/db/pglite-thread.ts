import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type MessagePort, Worker } from 'node:worker_threads';
import { workerResourceLimits } from '../worker-limits.ts';
import { nextMessage, type SerializedError, toError } from '../worker-message.ts';
import type { PipelinedPGlite, QueryAnswer } from './pglite-dialect.ts';

/** Messages to the database thread; each is answered by a `result` with its id. */
export type ToThread =
  | { type: 'open'; id: number; db: number; dataDir: string }
  | { type: 'query'; id: number; db: number; sql: string; params: unknown[]; begin?: boolean }
  | { type: 'close'; id: number; db: number };
/** Messages from the database thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'result'; id: number; rows?: unknown[]; affectedRows?: number; error?: SerializedError };

const run = promisify(execFile);

interface Waiting {
  resolve: (result: { rows: any[]; affectedRows?: number }) => void;
  reject: (error: Error) => void;
}

/** A message to the thread before it is given its id (`Omit` taken over each member of the union). */
type WithoutId<M> = M extends unknown ? Omit<M, 'id'> : never;
type Request = WithoutId<ToThread>;

/**
 * A thread of this process hosting one or more embedded PGlite databases; statements and rows cross the
 * thread boundary by structured clone (dates, numbers, JSON values survive as they are). Either a worker
 * of its own, which starts with the first database opened on it and ends when the last one closes, or,
 * given `host`, a thread that already runs and serves databases on the other end of that port
 * (`hostDatabases()` in pglite-host.ts) and outlives them: the queue emulator's thread hosts the
 * databases only queue consumers use. Measured in the flash sale, each thread fewer was ~17–22 MB less
 * resident memory during the sale.
 */
export class DatabaseThread {
  readonly #host: MessagePort | undefined;
  readonly #waiting = new Map<number, Waiting>();
  /** The channel to the thread, once started; `#started` settles when it is ready. */
  #channel: Worker | MessagePort | undefined;
  #started: Promise<void> | undefined;
  #gone: Error | undefined;
  #open = 0;
  #nextDb = 0;
  #nextId = 0;

  constructor(options: { host?: MessagePort } = {}) {
    this.#host = options.host;
    // Heard from the start: a host that ends before the first database opens must fail that open, not hang it.
    this.#host?.once('close', () => this.#fail(this.#host!, new Error('the thread hosting the database is gone')));
  }

  /**
   * Opens the database in `dataDir` on this thread; resolves once it answers. A new database is first
   * created by a short-lived child process: initdb takes hundreds of megabytes that this process would
   * otherwise keep for its whole life.
   */
  async open(dataDir: string): Promise<PGliteThread> {
    this.#open++;
    const db = this.#nextDb++;
    try {
      if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await createDatabase(dataDir);
      this.#started ??= this.#host ? this.#attach(this.#host) : this.#spawn();
      await this.#started;
      await this.request({ type: 'open', db, dataDir });
    } catch (error) {
      await this.#release();
      throw error;
    }
    return new PGliteThread(this, db);
  }

  /** Sends one request; a database's requests are answered in the order they were sent. */
  request<R>(message: Request): Promise<QueryAnswer<R>> {
    const channel = this.#channel;
    if (!channel || this.#gone) return Promise.reject(this.#gone ?? new Error('the database thread is not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      try {
        channel.postMessage({ ...message, id } as ToThread);
      } catch (error) {
        // A parameter that cannot be cloned to the thread (a function, say): this statement fails alone.
        this.#waiting.delete(id);
        reject(error);
      }
    });
  }

  /** Closes one database cleanly (a checkpoint on disk); a thread of its own ends with the last one. */
  async close(db: number): Promise<void> {
    await this.request({ type: 'close', db }).catch(() => {}); // the thread is gone: nothing left to close
    await this.#release();
  }

  async #release(): Promise<void> {
    if (--this.#open > 0 || this.#host) return;
    const worker = this.#channel as Worker | undefined;
    this.#channel = undefined;
    this.#started = undefined;
    await worker?.terminate();
  }

  async #spawn(): Promise<void> {
    const worker = new Worker(new URL('./pglite-thread-worker.ts', import.meta.url), {
      // The thread's name in the operating system (top -H, /proc/<pid>/task): one word, at most 15 bytes.
      name: 'database',
      resourceLimits: workerResourceLimits,
    });
    this.#gone = undefined;
    this.#listen(worker);
    worker.on('error', (error) => this.#fail(worker, error));
    worker.on('exit', (code) => this.#fail(worker, new Error(`the database thread exited (code ${code})`)));
    await nextMessage(worker, 'ready', 'the database thread');
  }

  // No wait for the host's `ready`: a port keeps what is sent until the other end listens, and a host that
  // ends fails every request in flight (see the constructor).
  async #attach(host: MessagePort): Promise<void> {
    if (this.#gone) throw this.#gone;
    this.#listen(host);
  }

  #listen(channel: Worker | MessagePort): void {
    this.#channel = channel;
    channel.on('message', (message: FromThread) => {
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
  }

  #fail(channel: Worker | MessagePort, error: Error): void {
    if (this.#channel !== channel && channel !== this.#host) return; // ended on purpose
    this.#gone ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}

/**
 * One embedded PGlite database on a `DatabaseThread`, behind the same small interface the Kysely dialect
 * uses for an in-process one.
 */
export class PGliteThread implements PipelinedPGlite {
  /** The thread runs a database's statements one at a time in arrival order, and the channel keeps that order. */
  readonly pipelines = true;
  readonly #thread: DatabaseThread;
  readonly #db: number;
  #closed: Promise<void> | undefined;

  constructor(thread: DatabaseThread, db: number) {
    this.#thread = thread;
    this.#db = db;
  }

  /** Opens the database in `dataDir` on a thread of its own. */
  static start(dataDir: string): Promise<PGliteThread> {
    return new DatabaseThread().open(dataDir);
  }

  query<R>(sql: string, params: unknown[] = []): Promise<QueryAnswer<R>> {
    return this.#send(sql, params, false);
  }

  queryAfterBegin<R>(sql: string, params: unknown[] = []): Promise<QueryAnswer<R>> {
    return this.#send(sql, params, true);
  }

  #send<R>(sql: string, params: unknown[], begin: boolean): Promise<QueryAnswer<R>> {
    if (this.#closed) return Promise.reject(new Error('the database is closed'));
    return this.#thread.request({ type: 'query', db: this.#db, sql, params, ...(begin ? { begin } : {}) });
  }

  /** Closes the database cleanly (a checkpoint on disk). Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= this.#thread.close(this.#db);
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
