import { PGlite } from '@electric-sql/pglite';

// `node pglite-create.ts <dataDir> <options as JSON>`: creates a new PGlite database (initdb) and exits.
// Run as a child process because initdb's WebAssembly instances take hundreds of megabytes that a
// long-running process would keep; an exiting process gives all of it back.
const [dataDir, options] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: pglite-create.ts <dataDir> [options-json]');
const db = await PGlite.create(dataDir, options ? JSON.parse(options) : {});
await db.close();
