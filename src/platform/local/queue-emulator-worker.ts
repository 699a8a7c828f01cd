import { flushCompileCache } from 'node:module';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { hostDatabases } from '../db/pglite-host.ts';
import { lowerThreadPriority } from '../thread-priority.ts';

// Runs fauxqs on its own thread so the queue emulator's HTTP parsing and SQLite writes do not compete
// with the gateway and the inventory database for their threads.
const { port, dataDir, databases } = workerData as { port: number; dataDir: string; databases: MessagePort };
// Queues are asynchronous by design: their work can wait a moment for a checkout's (see thread-priority.ts).
lowerThreadPriority();
// So can the databases only queue consumers use, which this thread hosts too.
hostDatabases(databases);
const { startFauxqs } = await import('fauxqs');
const server = await startFauxqs({ port, dataDir, logger: false });
parentPort!.postMessage({ type: 'ready', address: server.address });
// Each thread keeps its own part of Node's compile cache: written now, as main.ts does its own.
flushCompileCache();
parentPort!.on('message', async (message: { type: string }) => {
  if (message.type !== 'stop') return;
  await server.stop();
  parentPort!.postMessage({ type: 'stopped' });
});
