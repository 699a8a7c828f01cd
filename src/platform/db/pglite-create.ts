import { PGlite } from '@electric-sql/pglite';
import { pgliteOptions } from './pglite-settings.ts';

// `node pglite-create.ts <dataDir>`: creates a new PGlite database (initdb) and exits.
// Run as a child process because initdb's WebAssembly instances take hundreds of megabytes that a
// long-running process would keep; an exiting process gives all of it back.
const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: pglite-create.ts <dataDir>');
const db = await PGlite.create(dataDir, pgliteOptions(PGlite));
await db.close();
