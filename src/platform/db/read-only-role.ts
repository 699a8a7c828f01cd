import { type Kysely, sql } from 'kysely';

/** The login a read-only role is made for: the user name and password its secret holds. */
export interface ReadOnlyLogin {
  readonly username: string;
  readonly password: string;
}

/**
 * Makes `login.username` a role that may log in with `login.password`, read every table of the
 * `public` schema (those the migrations made and, through default privileges, those they will make)
 * and write nothing: it gets no privilege beyond SELECT, and its sessions start read-only.
 *
 * Idempotent, in one transaction, run by the migrating (owner) role. The secret is the source of truth:
 * the password is set on every run, so a re-run repairs a role whose password drifted from its secret.
 * PostgreSQL takes no bind parameters in CREATE/ALTER ROLE, so the statements are built inside the
 * server by a temporary function that quotes with `format('%I', '%L')`; the name and password reach it
 * as parameters, never as SQL text.
 */
export async function ensureReadOnlyRole(db: Kysely<any>, login: ReadOnlyLogin): Promise<void> {
  try {
    await grantReadOnly(db, login);
  } catch (error) {
    // The server's error context quotes the failing statement, password included: keep only the message
    // and the SQLSTATE (which tells a login not possible yet from a real failure).
    const { message, code } = error as { message?: string; code?: unknown };
    throw Object.assign(new Error(`read-only role ${login.username}: ${message}`), { code });
  }
}

async function grantReadOnly(db: Kysely<any>, login: ReadOnlyLogin): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`
      create function pg_temp.donut_grant_read_only(login text, secret text) returns void
      language plpgsql as $body$
      begin
        if not exists (select from pg_roles where rolname = login) then
          execute format('create role %I', login);
        end if;
        execute format('alter role %I with login password %L', login, secret);
        execute format('alter role %I set default_transaction_read_only = on', login);
        execute format('grant usage on schema public to %I', login);
        execute format('grant select on all tables in schema public to %I', login);
        execute format('alter default privileges in schema public grant select on tables to %I', login);
      end
      $body$`.execute(trx);
    await sql`select pg_temp.donut_grant_read_only(${login.username}, ${login.password})`.execute(trx);
    await sql`drop function pg_temp.donut_grant_read_only(text, text)`.execute(trx);
  });
}
