import { type Kysely, sql } from 'kysely';

/** Tables the migrator keeps for itself: bookkeeping, not the schema. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/**
 * The schema of a database's `public` namespace as SQL a person reads: each table with its columns,
 * defaults and constraints, then its other indexes, then views, triggers and functions (their
 * definitions as PostgreSQL prints them, the body's common indentation removed). Everything is in
 * name order, so the text changes only when the schema does. Read-only.
 */
export async function dumpSchema(db: Kysely<any>): Promise<string> {
  const sections = [...(await tables(db)), ...(await views(db)), ...(await triggers(db)), ...(await functions(db))];
  return `${sections.join('\n\n')}\n`;
}

async function tables(db: Kysely<any>): Promise<string[]> {
  const { rows: names } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> all(${MIGRATOR_TABLES})
    order by c.relname`.execute(db);
  const out: string[] = [];
  for (const { name } of names) {
    const { rows: columns } = await sql<{ name: string; type: string; notnull: boolean; def: string | null }>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull,
             pg_get_expr(d.adbin, d.adrelid) as def
      from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ${`public.${name}`}::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`.execute(db);
    const { rows: constraints } = await sql<{ name: string; def: string }>`
      select conname as name, pg_get_constraintdef(oid, true) as def from pg_constraint
      where conrelid = ${`public.${name}`}::regclass and contype <> 'n'
      order by contype = 'c', conname`.execute(db);
    const { rows: indexes } = await sql<{ def: string }>`
      select pg_get_indexdef(i.indexrelid) as def from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = ${`public.${name}`}::regclass
        and not exists (select from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
      order by c.relname`.execute(db);
    const lines = [
      ...columns.map(
        (c) => `  ${c.name} ${c.type}${c.notnull ? ' not null' : ''}${c.def === null ? '' : ` default ${c.def}`}`,
      ),
      ...constraints.map((c) => `  constraint ${c.name} ${c.def}`),
    ];
    out.push(
      [`create table ${name} (\n${lines.join(',\n')}\n);`, ...indexes.map((i) => `${unqualified(i.def)};`)].join('\n'),
    );
  }
  return out;
}

async function views(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string; def: string }>`
    select viewname as name, definition as def from pg_views where schemaname = 'public' order by viewname`.execute(db);
  return rows.map((v) => `create view ${v.name} as\n${v.def.trimEnd()}`);
}

async function triggers(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`
    select pg_get_triggerdef(t.oid, true) as def from pg_trigger t
    join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and not t.tgisinternal
    order by c.relname, t.tgname`.execute(db);
  return rows.map((t) => `${unqualified(t.def)};`);
}

async function functions(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`
    select pg_get_functiondef(p.oid) as def from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
    order by p.proname, pg_get_function_identity_arguments(p.oid)`.execute(db);
  return rows.map((f) => dedentBody(unqualified(f.def)).trimEnd());
}

/** Everything here lives in `public`; the prefix only makes lines longer. */
function unqualified(definition: string): string {
  return definition.replaceAll(/\bpublic\./g, '');
}

/** A function body keeps the indentation of the migration it came from; shift it to the margin. */
function dedentBody(definition: string): string {
  const match = /^([\s\S]*?\$(\w*)\$\n?)([\s\S]*?)(\$\2\$[\s\S]*)$/.exec(definition);
  if (!match) return definition;
  const [, head, , body = '', tail] = match;
  const lines = body.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = Math.min(...indents);
  const shifted = lines.map((l) => (l.trim() === '' ? '' : l.slice(cut))).join('\n');
  return `${head}${shifted.trimEnd()}\n${tail}`;
}
