import { flushCompileCache } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { hostDatabases } from './pglite-host.ts';

// Embedded databases on a thread of their own (a DatabaseThread's worker).
hostDatabases(parentPort!);
// Each thread keeps its own part of Node's compile cache: written now, as main.ts does its own.
flushCompileCache();
