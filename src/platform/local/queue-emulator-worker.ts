import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../thread-priority.ts';

// Runs fauxqs on its own thread so the queue emulator's HTTP parsing and SQLite writes do not compete
// with the gateway and the databases for the main event loop.
const { port, dataDir } = workerData as { port: number; dataDir: string };
// Queues are asynchronous by design: their work can wait a moment for a checkout's (see thread-priority.ts).
lowerThreadPriority();
const { startFauxqs } = await import('fauxqs');
const server = await startFauxqs({ port, dataDir, logger: false });
parentPort!.postMessage({ type: 'ready', address: server.address });
parentPort!.on('message', async (message: { type: string }) => {
  if (message.type !== 'stop') return;
  await server.stop();
  parentPort!.postMessage({ type: 'stopped' });
});
