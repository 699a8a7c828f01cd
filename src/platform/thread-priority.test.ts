import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICENESS, currentThreadNiceness } from './thread-priority.ts';

/** Runs lowerThreadPriority() on a fresh worker thread; answers what it returned and the thread's niceness after. */
function lowerOnWorker(): Promise<{ lowered: boolean; niceness: number | undefined }> {
  const module = new URL('./thread-priority.ts', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(module)}).then((m) => {
       const lowered = m.lowerThreadPriority();
       parentPort.postMessage({ lowered, niceness: m.currentThreadNiceness() });
     });`,
    { eval: true },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', (answer) => {
      void worker.terminate();
      resolve(answer);
    });
    worker.once('error', reject);
  });
}

describe('lowerThreadPriority', () => {
  it('lowers the calling thread alone (Linux), and changes nothing where it cannot', async () => {
    const before = currentThreadNiceness();
    const { lowered, niceness } = await lowerOnWorker();
    if (process.platform === 'linux') {
      expect(lowered).toBe(true);
      expect(niceness).toBe(Math.max(before ?? 0, BACKGROUND_NICENESS));
      // The process, and this thread, keep their priority.
      expect(currentThreadNiceness()).toBe(before);
    } else {
      expect(lowered).toBe(false);
      expect(niceness).toBeUndefined();
    }
  });
});
