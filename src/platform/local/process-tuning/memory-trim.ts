/**
 * Hands memory that glibc's allocator holds free back to the operating system, every
 * `MEMORY_TRIM_INTERVAL_MS`, with `malloc_trim(0)`; off unless that is set. V8's compilers take their
 * working memory in 32 KB blocks, tens of thousands of them while a busy process optimises its
 * JavaScript and PostgreSQL's WebAssembly; freed between blocks that live on, they leave the arenas free
 * but resident, which the allocator gives back only when asked. Mapping such blocks on their own instead
 * (`MALLOC_MMAP_THRESHOLD_=32768`) gave the same memory back but cost checkouts: an mmap, a munmap and
 * page faults per block.
 *
 * Reached through Node's `node:ffi` (Node 26, experimental), hence opt-in. Where there is no glibc or no
 * `node:ffi`, or the call cannot be bound, nothing is trimmed and nothing else changes.
 */

/** The part of `node:ffi` used here. */
interface Ffi {
  dlopen(
    path: string,
    definitions: Record<string, { arguments: string[]; return: string }>,
  ): { functions: Record<string, (...args: unknown[]) => unknown> };
}

export interface MemoryTrim {
  stop(): void;
}

export type MemoryTrimStart = { trim: MemoryTrim } | { unavailable: string };

/** Starts trimming every `intervalMs` (0: not at all); the timer never keeps the process alive. */
export function startMemoryTrim(options: { intervalMs: number; glibcVersion: string | undefined }): MemoryTrimStart {
  if (options.intervalMs === 0) return { unavailable: 'turned off' };
  if (options.glibcVersion === undefined) return { unavailable: 'not on glibc' };
  const ffi = loadFfi();
  if (!ffi) return { unavailable: 'node:ffi is not available in this Node' };
  let mallocTrim: (pad: bigint) => unknown;
  try {
    const { functions } = ffi.dlopen('libc.so.6', { malloc_trim: { arguments: ['uint64'], return: 'int32' } });
    mallocTrim = functions.malloc_trim!;
  } catch (error) {
    return { unavailable: `malloc_trim could not be bound: ${(error as Error).message}` };
  }
  const timer = setInterval(() => mallocTrim(0n), options.intervalMs).unref();
  return { trim: { stop: () => clearInterval(timer) } };
}

/**
 * `node:ffi`, or undefined. Loading it makes Node warn that it is experimental; that is known here, and
 * without it nothing breaks, so that one warning is not passed on (any other is).
 */
function loadFfi(): Ffi | undefined {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    if (message.startsWith('FFI is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:ffi') as Ffi | undefined;
  } catch {
    return undefined; // e.g. refused by the permission model
  } finally {
    process.emitWarning = emitWarning;
  }
}
