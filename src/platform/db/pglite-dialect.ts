import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/** The subset of PGlite this dialect calls: depend on a shape, not the package. */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<QueryAnswer<R>>;
  close(): Promise<void>;
}

export interface QueryAnswer<R> {
  rows: R[];
  affectedRows?: number;
}

/**
 * A database that runs statements one at a time in the order they are sent (a database thread), so
 * the next may be sent before this one is answered. The dialect then pipelines (see PGliteLease).
 */
export interface PipelinedPGlite extends PGliteLike {
  readonly pipelines: true;
  /** Runs `begin`, then this statement only if `begin` succeeded; otherwise fails with begin's error. */
  queryAfterBegin<R>(sql: string, params?: unknown[]): Promise<QueryAnswer<R>>;
}

function pipelines(db: PGliteLike): db is PipelinedPGlite {
  return (db as Partial<PipelinedPGlite>).pipelines === true;
}

/**
 * Kysely dialect for embedded PGlite. Reuses the Postgres compiler, adapter and introspector;
 * only the driver differs. PGlite has one connection, so a mutex hands it to one transaction at a time.
 */
export class PGliteDialect implements Dialect {
  readonly #db: PGliteLike;
  constructor(db: PGliteLike) {
    this.#db = db;
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.#db);
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  readonly #db: PGliteLike;
  readonly #mutex = new Mutex();

  constructor(db: PGliteLike) {
    this.#db = db;
  }
  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteLease(this.#db, this.#mutex, await this.#mutex.acquire());
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteLease).begin();
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteLease).end('commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteLease).end('rollback');
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PGliteLease).release();
  }
  async destroy(): Promise<void> {
    (await this.#mutex.acquire())();
    await this.#db.close();
  }
}

/**
 * One holder's turn on PGlite's single connection. PGlite has one session, so the turn is what keeps
 * other statements out of a transaction: it is held from `begin` to `commit`.
 *
 * When the database pipelines (a database thread: it runs statements in arrival order), the thread is
 * kept busy instead of waiting on this event loop: the turn passes on as soon as a statement outside a
 * transaction, or a `commit`, has been *sent*, so the next holder's statement queues right behind it
 * rather than a round trip later; and `begin` travels with the transaction's first statement. Each
 * caller still awaits its own statement's answer, the commit's included.
 */
class PGliteLease implements DatabaseConnection {
  readonly #db: PGliteLike;
  /** The same database when it pipelines, else undefined. */
  readonly #pipelined: PipelinedPGlite | undefined;
  readonly #mutex: Mutex;
  #release: (() => void) | undefined;
  #inTransaction = false;
  /** A `begin` not sent yet: it goes with the transaction's first statement. */
  #beginPending = false;

  constructor(db: PGliteLike, mutex: Mutex, release: () => void) {
    this.#db = db;
    this.#pipelined = pipelines(db) ? db : undefined;
    this.#mutex = mutex;
    this.#release = release;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    await this.#hold();
    const { sql, parameters } = compiledQuery;
    const answer =
      this.#beginPending && this.#pipelined
        ? this.#pipelined.queryAfterBegin<R>(sql, [...parameters])
        : this.#db.query<R>(sql, [...parameters]);
    this.#beginPending = false;
    if (!this.#inTransaction && this.#pipelined) this.release();
    const result = await answer;
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }

  async begin(): Promise<void> {
    await this.#hold();
    this.#inTransaction = true;
    if (this.#pipelined) this.#beginPending = true;
    else await this.executeQuery(CompiledQuery.raw('begin'));
  }

  async end(statement: 'commit' | 'rollback'): Promise<void> {
    this.#inTransaction = false;
    if (this.#beginPending) {
      // Nothing was sent (only a pipelining database defers begin): there is no transaction to end.
      this.#beginPending = false;
      this.release();
      return;
    }
    await this.executeQuery(CompiledQuery.raw(statement));
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming');
  }

  /** Gives the turn to the next holder. Safe to call again. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Takes the turn again if it was passed on (a second statement on the same Kysely connection). */
  async #hold(): Promise<void> {
    this.#release ??= await this.#mutex.acquire();
  }
}

/** Hands a resource to one holder at a time, in arrival order. */
class Mutex {
  #last: Promise<void> = Promise.resolve();

  /** Resolves with the function that releases the turn, once every earlier holder released theirs. */
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const previous = this.#last;
    this.#last = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}
