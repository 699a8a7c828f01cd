import { type PGlite, parse, protocol } from '@electric-sql/pglite';
import type { PGliteLike, QueryAnswer } from './pglite-dialect.ts';

/**
 * A call of one of the databases' functions, `select * from f(…)`: the hot statements (a checkout
 * batch, a product read, a batch of purchases). Whatever the parameters, its plan is a scan of the
 * function's result, so the plan made once for any parameters is the right one. Any other statement
 * keeps a plan made for its own parameters each time: a plan cached while a table is small stays a
 * scan of the whole table as it grows, and PGlite runs no ANALYZE that would replace it.
 */
const FUNCTION_CALL = /^select \* from [a-z_][a-z0-9_]*\(/i;

/** PostgreSQL's "cached plan must not change result type": the function was replaced since it was prepared. */
const FEATURE_NOT_SUPPORTED = '0A000';

interface Prepared {
  readonly name: string;
  /** The type of each parameter, as the database inferred it, to serialize values the way query() does. */
  readonly parameterTypes: readonly number[];
}

/**
 * Runs statements on one PGlite. Function calls run as named prepared statements: parsed once, then
 * each run is one bind, describe, execute and sync in a single call into the database. PGlite's own
 * query() parses the statement every time, in six calls into it (parse, describe, bind, describe,
 * execute, sync); measured on a product read, 240 → 105 µs. Other statements go through query().
 * Answers and errors are the same either way; one caller at a time, as on PGlite's single session.
 */
export class PGliteStatements implements PGliteLike {
  readonly #pglite: PGlite;
  readonly #maxPrepared: number;
  /** Least recently used first. */
  readonly #prepared = new Map<string, Prepared>();
  #nextName = 0;

  constructor(pglite: PGlite, options: { maxPrepared?: number } = {}) {
    this.#pglite = pglite;
    this.#maxPrepared = options.maxPrepared ?? 32;
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryAnswer<R>> {
    if (!FUNCTION_CALL.test(sql)) return this.#pglite.query<R>(sql, [...params]);
    return this.#pglite.runExclusive(async () => {
      try {
        return await this.#run<R>(sql, params);
      } catch (error) {
        if ((error as { code?: unknown }).code !== FEATURE_NOT_SUPPORTED || !this.#prepared.has(sql)) throw error;
        await this.#forget(sql);
        return this.#run<R>(sql, params);
      }
    });
  }

  /** Closes the database cleanly (a checkpoint on disk). */
  close(): Promise<void> {
    return this.#pglite.close();
  }

  async #run<R>(sql: string, params: readonly unknown[]): Promise<QueryAnswer<R>> {
    const { name, parameterTypes } = await this.#prepare(sql);
    const { serializers, parsers } = this.#pglite;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serialize = serializers[parameterTypes[i]!];
      return serialize ? serialize(value) : String(value);
    });
    const { serialize } = protocol;
    const { messages } = await this.#exec(
      sql,
      params,
      serialize.bind({ statement: name, values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    const [result] = parse.parseResults(messages, parsers);
    return { rows: (result?.rows ?? []) as R[], affectedRows: result?.affectedRows ?? 0 };
  }

  async #prepare(sql: string): Promise<Prepared> {
    const known = this.#prepared.get(sql);
    if (known) {
      // Most recently used goes last.
      this.#prepared.delete(sql);
      this.#prepared.set(sql, known);
      return known;
    }
    if (this.#prepared.size >= this.#maxPrepared) await this.#forget(this.#prepared.keys().next().value!);
    const name = `prepared_${this.#nextName++}`;
    const { serialize } = protocol;
    const { messages } = await this.#exec(
      sql,
      [],
      serialize.parse({ name, text: sql }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    );
    const description = messages.find((m) => m.name === 'parameterDescription') as
      | { dataTypeIDs: number[] }
      | undefined;
    const prepared = { name, parameterTypes: description?.dataTypeIDs ?? [] };
    this.#prepared.set(sql, prepared);
    return prepared;
  }

  async #forget(sql: string): Promise<void> {
    const prepared = this.#prepared.get(sql);
    if (!prepared) return;
    this.#prepared.delete(sql);
    const { serialize } = protocol;
    await this.#exec(sql, [], serialize.close({ type: 'S', name: prepared.name }), serialize.sync());
  }

  /** One call into the database with these messages; a database error carries the statement, as query()'s do. */
  async #exec(sql: string, params: readonly unknown[], ...messages: Uint8Array[]) {
    try {
      return await this.#pglite.execProtocol(concat(messages));
    } catch (error) {
      if (error instanceof Error) Object.assign(error, { query: sql, params });
      throw error;
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
