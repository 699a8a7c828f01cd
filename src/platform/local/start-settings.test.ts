import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { workerResourceLimits } from '../worker-limits.ts';
import { COMPILE_CACHE_DIR, glibcVersion, MALLOC_SETTINGS, NODE_FLAGS, startSettings } from './start-settings.ts';

const glibc = '2.36';
const compileCache = { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR };

describe('startSettings', () => {
  it("adds V8's flags before the caller's, Node's compile cache and, on glibc, the allocator's variables, keeping the rest", () => {
    const restart = startSettings({
      env: { PORT: '3000', UNSET: undefined },
      execArgv: ['--inspect'],
      glibcVersion: glibc,
    });
    expect(restart).toEqual({
      env: { PORT: '3000', ...MALLOC_SETTINGS, ...compileCache },
      execArgv: [...NODE_FLAGS, '--inspect'],
    });
  });

  it('asks for nothing once they are in place, so the restarted process does not restart again', () => {
    const first = startSettings({ env: { PORT: '3000' }, execArgv: [], glibcVersion: glibc })!;
    expect(startSettings({ ...first, glibcVersion: glibc })).toBeUndefined();
  });

  it("leaves an operator's own settings alone: a flag of the same name, any allocator variable, the compile cache", () => {
    const flagName = NODE_FLAGS[0]!.split('=')[0]!;
    const own = {
      env: { MALLOC_ARENA_MAX: '8', NODE_COMPILE_CACHE: '/srv/cache' },
      execArgv: [`${flagName}=32`],
      glibcVersion: glibc,
    };
    expect(startSettings(own)).toBeUndefined();
    expect(
      startSettings({ ...own, execArgv: [], env: { ...own.env, NODE_OPTIONS: `${flagName}=32` } }),
    ).toBeUndefined();
    expect(
      startSettings({ ...own, env: { MALLOC_MMAP_THRESHOLD_: '65536', NODE_COMPILE_CACHE: '/srv/cache' } }),
    ).toBeUndefined();
    expect(startSettings({ ...own, env: { MALLOC_ARENA_MAX: '8', NODE_DISABLE_COMPILE_CACHE: '1' } })).toBeUndefined();
  });

  it('without glibc (musl, macOS) the flags and the compile cache', () => {
    expect(startSettings({ env: { PORT: '3000' }, execArgv: [], glibcVersion: undefined })).toEqual({
      env: { PORT: '3000', ...compileCache },
      execArgv: [...NODE_FLAGS],
    });
    expect(startSettings({ env: compileCache, execArgv: [...NODE_FLAGS], glibcVersion: undefined })).toBeUndefined();
  });
});

describe('leaveWorkersTheirOwnLimits', () => {
  // A process started as `npm start` restarts itself (with the main thread's semi-space flag), then a
  // worker thread keeps ~100k small objects alive at a time, so V8 grows its young generation as far as
  // it may, and reports the size it reached.
  const probe = `
    import { Worker } from 'node:worker_threads';
    import { leaveWorkersTheirOwnLimits } from ${JSON.stringify(new URL('./start-settings.ts', import.meta.url).href)};
    import { workerResourceLimits } from ${JSON.stringify(new URL('../worker-limits.ts', import.meta.url).href)};
    leaveWorkersTheirOwnLimits();
    const worker = new Worker(\`
      const { getHeapSpaceStatistics } = require('node:v8');
      let kept = [];
      for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 100000) kept = []; }
      const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      require('node:worker_threads').parentPort.postMessage(young.space_size);
    \`, { eval: true, execArgv: [], resourceLimits: workerResourceLimits });
    worker.once('message', (bytes) => { console.log(bytes); process.exit(0); });
  `;

  it("keeps the main thread's flag from sizing the worker threads' young generation", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...NODE_FLAGS, '--no-warnings', '--input-type=module', '--eval', probe],
      { timeout: 30_000 },
    );
    // Without it the flag wins and the worker's young generation reaches 16 MB.
    expect(Number(stdout.trim())).toBeGreaterThan(0);
    expect(Number(stdout.trim())).toBeLessThanOrEqual(workerResourceLimits.maxYoungGenerationSizeMb! * 1024 * 1024);
  });
});

describe('glibcVersion', () => {
  it('reads one diagnostic report, however often it is asked', () => {
    const getReport = vi.spyOn(process.report, 'getReport');
    try {
      const first = glibcVersion();
      const reports = getReport.mock.calls.length;
      expect(reports).toBeLessThanOrEqual(1);
      expect(glibcVersion()).toBe(first);
      expect(getReport.mock.calls.length).toBe(reports);
    } finally {
      getReport.mockRestore();
    }
  });
});
