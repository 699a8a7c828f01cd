import { parentPort } from 'node:worker_threads';
import { hostDatabases } from './pglite-host.ts';

// Embedded databases on a thread of their own (a DatabaseThread's worker).
hostDatabases(parentPort!);
