import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The niceness of threads that only work off queues (the queue emulator, the customers and notifications
 * databases). At 10 the kernel gives them about a tenth of a contended core and all of an idle one.
 */
export const BACKGROUND_NICENESS = 10;

/**
 * Lowers the calling thread's scheduling priority to at least `niceness`, so that when the cores are
 * contended the request path (the gateway, the inventory database) runs first and queue work takes the
 * time it leaves. Linux keeps a nice value per thread; `setpriority` on a thread id changes that thread
 * alone. Elsewhere, or if the system refuses, nothing changes and it answers false: priority is an
 * optimisation, never a requirement.
 */
export function lowerThreadPriority(niceness = BACKGROUND_NICENESS): boolean {
  const tid = currentThreadId();
  if (tid === undefined) return false;
  // Already as low (an operator's `nice`): raising it back would need privileges and is not wanted.
  const current = currentThreadNiceness();
  if (current !== undefined && current >= niceness) return true;
  try {
    setPriority(tid, niceness);
    return true;
  } catch {
    return false;
  }
}

/** The calling thread's nice value as the kernel reports it (Linux), or undefined. */
export function currentThreadNiceness(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // Fields after the parenthesised command name; nice is field 19 of stat, the 17th of these.
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}
