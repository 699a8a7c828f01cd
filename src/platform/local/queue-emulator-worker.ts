import { flushCompileCache } from 'node:module';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { hostDatabases } from '../db/pglite-host.ts';
import { lowerThreadPriority } from '../thread-priority.ts';
import { LOOPBACK, listenOnLoopback } from './loopback-listen.ts';

// Runs fauxqs on its own thread so the queue emulator's HTTP parsing and SQLite writes do not compete
// with the gateway and the inventory database for their threads.
const { port, dataDir, databases } = workerData as { port: number; dataDir: string; databases: MessagePort };
// Queues are asynchronous by design: their work can wait a moment for a checkout's (see thread-priority.ts).
lowerThreadPriority();
// So can the databases only queue consumers use, which this thread hosts too.
hostDatabases(databases);
const { startFauxqs } = await import('fauxqs');
// fauxqs answers anyone who reaches it, with no authentication, on an address it hard-codes (0.0.0.0):
// bound to loopback, only this machine can send, read or purge messages.
const server = await listenOnLoopback(() => startFauxqs({ port, dataDir, logger: false }));
if (new URL(server.address).hostname !== LOOPBACK) {
  await server.stop();
  throw new Error(`the queue emulator listens on ${server.address}, not on ${LOOPBACK} only`);
}
parentPort!.postMessage({ type: 'ready', address: server.address });
// Each thread keeps its own part of Node's compile cache: written now, as main.ts does its own.
flushCompileCache();
parentPort!.on('message', async (message: { type: string }) => {
  if (message.type !== 'stop') return;
  await server.stop();
  parentPort!.postMessage({ type: 'stopped' });
});
