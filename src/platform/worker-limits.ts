import type { ResourceLimits } from 'node:worker_threads';

/**
 * Heap limits for this process's worker threads (the databases, the queue emulator). Their JavaScript
 * holds little at a time: the messages in flight and one statement's rows. By default V8 lets each
 * thread's young generation grow as a busy server's would and keeps it grown; capped at 4 MB, each of
 * those heaps stays at 20–40 MB instead of up to ~80 MB, with no throughput lost in the flash sale
 * (8 MB: ~15 MB more in all; 2 MB: no less). `npm start` keeps its main thread's semi-space flag
 * (scripts/start.sh) from overriding this (leaveWorkersTheirOwnLimits in local/process-tuning/).
 */
export const workerResourceLimits: ResourceLimits = { maxYoungGenerationSizeMb: 4 };
