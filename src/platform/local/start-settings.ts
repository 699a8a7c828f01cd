import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';

/**
 * Settings a process takes only when it starts, for the embedded system's memory: measured in the
 * flash sale, together ~230 MB less resident memory with throughput unchanged (the compile cache's within
 * noise, though lower in most pairs).
 */

/**
 * glibc's allocator. By default it gives each thread that allocates an arena of its own (up to eight per
 * core) and keeps what is freed in it; this process has a dozen such threads (the databases', the queue
 * emulator's, V8's compilers, libuv's pool), and memory freed in their arenas stayed resident. Two
 * arenas, freed memory handed back above 128 KB, large blocks mapped on their own: ~115 MB.
 */
export const MALLOC_SETTINGS: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/**
 * V8's young generation for the main thread, capped as the worker threads' is (worker-limits.ts): by
 * default it grows to ~100 MB on a busy server and stays there. ~75 MB. The main thread only: see
 * {@link leaveWorkersTheirOwnLimits}.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * Node's compile cache (`NODE_COMPILE_CACHE`), where Node keeps it by default. Node strips the types of
 * a .ts file with a WebAssembly compiler that each thread loads for itself the first time it needs it,
 * and keeps resident (~10 MB per thread alone, 3.8 MB of it source); a start that finds the stripped
 * code, and V8's bytecode, in the cache loads none. ~15 MB in the flash sale. The first start after an
 * install or a change fills the cache (each thread writes its part once started), so it pays once.
 */
export const COMPILE_CACHE_DIR = path.join(os.tmpdir(), 'node-compile-cache');

export interface ProcessStart {
  readonly env: NodeJS.ProcessEnv;
  /** Node's own options on the command line (`process.execArgv`). */
  readonly execArgv: readonly string[];
  /** glibc's version when the process runs on it, else undefined. */
  readonly glibcVersion: string | undefined;
}

/**
 * What to restart with, or undefined when everything is in place: after the restart, or when an operator
 * set their own (a flag of the same name on the command line or in NODE_OPTIONS, any of the allocator
 * variables, NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE), whose choice stands. The allocator's
 * variables only on glibc.
 */
export function startSettings(start: ProcessStart): { env: Record<string, string>; execArgv: string[] } | undefined {
  const nodeOptions = `${start.env.NODE_OPTIONS ?? ''} ${start.execArgv.join(' ')}`;
  const flags = NODE_FLAGS.filter((flag) => !nodeOptions.includes(flag.split('=')[0]!));
  const malloc =
    start.glibcVersion !== undefined && !Object.keys(MALLOC_SETTINGS).some((name) => start.env[name] !== undefined);
  const compileCache = start.env.NODE_COMPILE_CACHE === undefined && start.env.NODE_DISABLE_COMPILE_CACHE === undefined;
  if (flags.length === 0 && !malloc && !compileCache) return undefined;
  const env = Object.fromEntries(
    Object.entries(start.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return {
    env: {
      ...env,
      ...(malloc ? MALLOC_SETTINGS : {}),
      ...(compileCache ? { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR } : {}),
    },
    execArgv: [...flags, ...start.execArgv],
  };
}

/**
 * Replaces this process with itself, same pid and arguments, with the settings above (`process.execve`,
 * POSIX only). Call it first, before loading anything else. Where it cannot, or if the restart fails, it
 * returns and the process runs as it is: these are optimisations, never requirements.
 */
export function restartWithStartSettings(): void {
  if (process.platform === 'win32' || typeof process.execve !== 'function') return;
  const restart = startSettings({ env: process.env, execArgv: process.execArgv, glibcVersion: glibcVersion() });
  if (!restart) return;
  try {
    process.execve(process.execPath, [process.execPath, ...restart.execArgv, ...process.argv.slice(1)], restart.env);
  } catch {
    // carry on with the defaults
  }
}

/**
 * V8 sizes every heap created while `--max-semi-space-size` is set by the flag, over a worker thread's
 * own `resourceLimits`: with it, each worker's young generation grew to 16 MB instead of the 4 MB that
 * worker-limits.ts gives it (~28 MB more in the flash sale). The main thread's heap keeps the size it was
 * created with, so clearing the flag once that heap exists leaves the flag to the main thread and the
 * workers to their own limits. V8 reads the flag only when it creates a heap. Call it before starting
 * any worker thread.
 */
export function leaveWorkersTheirOwnLimits(): void {
  setFlagsFromString('--max-semi-space-size=0');
}

let glibc: { readonly version: string | undefined } | undefined;

/**
 * The version of glibc this process runs on, from Node's diagnostic report; undefined on any other C
 * library. Read once: a report takes milliseconds (once over a second), and a start asks twice.
 */
export function glibcVersion(): string | undefined {
  glibc ??= {
    version: (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
  };
  return glibc.version;
}
