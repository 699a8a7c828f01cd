import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { glibcVersion } from './index.ts';
import { startMemoryTrim } from './memory-trim.ts';

/** glibc's allocator as scripts/start.sh sets it for `npm start`. */
const MALLOC_SETTINGS = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * In a process of its own, with `npm start`'s allocator settings: allocates 128 MB in 32 KB blocks, each
 * followed by a small block that stays, and frees the large ones, as V8's compilers do. Then waits three
 * trim intervals, with the trim started first or not at all. Resident memory in MB when the blocks were
 * freed and after the wait, and what the process wrote to stderr.
 */
async function fragmentAndWait(trim: boolean): Promise<{ freed: number; after: number; stderr: string }> {
  const script = `
    import { startMemoryTrim } from ${JSON.stringify(new URL('./memory-trim.ts', import.meta.url).href)};
    if (${trim}) {
      const start = startMemoryTrim({ intervalMs: 100, glibcVersion: 'glibc' });
      if (!('trim' in start)) throw new Error(start.unavailable);
    }
    const { functions: libc } = process.getBuiltinModule('node:ffi').dlopen('libc.so.6', {
      malloc: { arguments: ['uint64'], return: 'pointer' },
      free: { arguments: ['pointer'], return: 'void' },
      memset: { arguments: ['pointer', 'int32', 'uint64'], return: 'pointer' },
    });
    const rss = () => process.memoryUsage().rss / 1048576;
    const blocks = [];
    const kept = [];
    for (let i = 0; i < 4096; i++) {
      blocks.push(libc.memset(libc.malloc(32768n), 1, 32768n));
      kept.push(libc.malloc(256n));
    }
    for (const block of blocks) libc.free(block);
    const freed = rss();
    await new Promise((resolve) => setTimeout(resolve, 300));
    console.log(JSON.stringify({ freed, after: rss(), kept: kept.length }));
  `;
  // Rejects, with its stderr, unless the process exits 0.
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...MALLOC_SETTINGS },
    timeout: 30_000,
  });
  return { ...JSON.parse(stdout), stderr };
}

describe('startMemoryTrim', () => {
  // The project runs on Linux with glibc and Node 26 (its `node` dev dependency), where trimming can be turned on.
  it('is available where `npm start` runs', () => {
    expect(glibcVersion()).toBeDefined();
    const emitWarning = process.emitWarning;
    const start = startMemoryTrim({ intervalMs: 60_000, glibcVersion: glibcVersion() });
    expect(start).toHaveProperty('trim');
    if ('trim' in start) start.trim.stop();
    expect(process.emitWarning).toBe(emitWarning);
  });

  it('hands memory freed between live blocks back to the operating system', async () => {
    const untrimmed = await fragmentAndWait(false);
    const trimmed = await fragmentAndWait(true);
    // Without the trim the freed blocks stay resident: that is what the trim is for.
    expect(untrimmed.freed - untrimmed.after).toBeLessThan(10);
    expect(trimmed.freed - trimmed.after).toBeGreaterThan(100);
    // Node's warning that node:ffi is experimental is not passed on.
    expect(trimmed.stderr).not.toContain('ExperimentalWarning');
  });

  it('is off, and says why, without glibc or when turned off', () => {
    const emitWarning = process.emitWarning;
    expect(startMemoryTrim({ intervalMs: 1000, glibcVersion: undefined })).toEqual({ unavailable: 'not on glibc' });
    expect(startMemoryTrim({ intervalMs: 0, glibcVersion: glibcVersion() })).toEqual({ unavailable: 'turned off' });
    expect(process.emitWarning).toBe(emitWarning);
  });
});
