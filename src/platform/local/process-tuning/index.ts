import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { startMemoryTrim } from './memory-trim.ts';

/**
 * The process tuning `npm start` does once running. What a process takes only when it starts (glibc's
 * allocator, V8's semi-space flag for the main thread, Node's compile cache) is set before Node starts,
 * by the launcher `scripts/start.sh`, where an operator sees and overrides it.
 */

export interface ProcessTuning {
  /** Stops the memory trim, if it runs. */
  stop(): void;
}

/**
 * Call once, before the first worker thread starts. Leaves the worker threads their own heap limits
 * ({@link leaveWorkersTheirOwnLimits}); with `memoryTrimIntervalMs` above 0, also hands freed memory
 * back to the operating system that often (memory-trim.ts), and logs whether it can. With it at 0, the
 * default, nothing experimental is loaded. Never throws: all of this only lowers resident memory.
 */
export function tuneProcess(options: { memoryTrimIntervalMs: number; logger: Logger }): ProcessTuning {
  const { memoryTrimIntervalMs: intervalMs, logger } = options;
  leaveWorkersTheirOwnLimits();
  if (intervalMs === 0) return { stop: () => {} };
  const start = startMemoryTrim({ intervalMs, glibcVersion: glibcVersion() });
  if ('trim' in start) {
    logger.info({ intervalMs }, 'freed memory handed back to the operating system (malloc_trim)');
    return start.trim;
  }
  logger.warn({ reason: start.unavailable }, 'MEMORY_TRIM_INTERVAL_MS is set, but freed memory cannot be handed back');
  return { stop: () => {} };
}

/**
 * V8 sizes every heap created while `--max-semi-space-size` is set by the flag, over a worker thread's
 * own `resourceLimits`: with the launcher's flag, each worker's young generation would grow past what
 * src/platform/worker-limits.ts gives it. The main thread's heap keeps the size it was
 * created with, so clearing the flag once that heap exists leaves the flag to the main thread and the
 * workers to their own limits. V8 reads the flag only when it creates a heap.
 */
export function leaveWorkersTheirOwnLimits(): void {
  setFlagsFromString('--max-semi-space-size=0');
}

let glibc: { readonly version: string | undefined } | undefined;

/**
 * The version of glibc this process runs on, from Node's diagnostic report; undefined on any other C
 * library. Read once: a report takes milliseconds, sometimes over a second.
 */
export function glibcVersion(): string | undefined {
  glibc ??= {
    version: (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
  };
  return glibc.version;
}
