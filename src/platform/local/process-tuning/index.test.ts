import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { workerResourceLimits } from '../../worker-limits.ts';
import { glibcVersion, tuneProcess } from './index.ts';

/** A logger whose lines land in `lines`, parsed. */
function collectingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/**
 * A process started as the launcher starts `npm start` (with the main thread's semi-space flag) tunes
 * itself with the trim off, as by default; then a worker thread keeps ~100k small objects alive at a
 * time, so V8 grows its young generation as far as it may. Reports the size it reached, whether Node
 * loaded `node:ffi`, and what the process logged and wrote to stderr.
 */
async function defaultStart(): Promise<{ youngBytes: number; ffiLoaded: boolean; log: string; stderr: string }> {
  const probe = `
    import { Worker } from 'node:worker_threads';
    import pino from 'pino';
    import { tuneProcess } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
    import { workerResourceLimits } from ${JSON.stringify(new URL('../../worker-limits.ts', import.meta.url).href)};
    let log = '';
    tuneProcess({ memoryTrimIntervalMs: 0, logger: pino({ level: 'trace' }, { write: (line) => (log += line) }) });
    const worker = new Worker(\`
      const { getHeapSpaceStatistics } = require('node:v8');
      let kept = [];
      for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 100000) kept = []; }
      const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      require('node:worker_threads').parentPort.postMessage(young.space_size);
    \`, { eval: true, execArgv: [], resourceLimits: workerResourceLimits });
    worker.once('message', (youngBytes) => {
      const ffiLoaded = process.moduleLoadList.some((name) => /\\bffi\\b/.test(name));
      console.log(JSON.stringify({ youngBytes, ffiLoaded, log }));
      process.exit(0);
    });
  `;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--max-semi-space-size=8', '--input-type=module', '--eval', probe],
    { cwd: import.meta.dirname, timeout: 30_000 },
  );
  return { ...JSON.parse(stdout), stderr };
}

describe('tuneProcess', () => {
  const started = defaultStart();

  it("keeps the main thread's semi-space flag from sizing the worker threads' young generation", async () => {
    const { youngBytes } = await started;
    // Without it the flag wins and the worker's young generation grows past its own limit.
    expect(youngBytes).toBeGreaterThan(0);
    expect(youngBytes).toBeLessThanOrEqual(workerResourceLimits.maxYoungGenerationSizeMb! * 1024 * 1024);
  });

  it('by default loads nothing experimental: no node:ffi, no warning, nothing logged', async () => {
    const { ffiLoaded, log, stderr } = await started;
    expect(ffiLoaded).toBe(false);
    expect(stderr).toBe('');
    expect(log).toBe('');
  });

  it('with an interval, hands freed memory back (malloc_trim) and says so', () => {
    const { logger, lines } = collectingLogger();
    const tuning = tuneProcess({ memoryTrimIntervalMs: 60_000, logger });
    tuning.stop();
    expect(lines).toEqual([
      expect.objectContaining({
        intervalMs: 60_000,
        msg: 'freed memory handed back to the operating system (malloc_trim)',
      }),
    ]);
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
