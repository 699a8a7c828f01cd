import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/free-port.ts';
import { startScript, startScriptEnv } from '../../scripts/start-command.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const BENCH_ADMIN_TOKEN = 'bench-admin-token';

export interface SystemProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Peak resident memory of the process since it started (VmHWM), in MB. */
  peakRssMb(): Promise<number>;
  /** Resident memory of the process now (VmRSS), in MB. */
  rssMb(): Promise<number>;
  /** CPU time the process has used so far, all its threads, user and system, in milliseconds. */
  cpuMs(): Promise<number>;
  /** The same per thread name (threads of one name summed: V8's workers), of the threads alive now. */
  cpuMsByThread(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Runs the system as `npm start` does (its launcher, with its process settings), in its own process, and
 * waits (at most `startTimeoutS`) until /health answers 200. The launcher's Node replaces it, so the
 * child's process id is Node's.
 */
export async function startSystemProcess(env: Record<string, string>, startTimeoutS = 60): Promise<SystemProcess> {
  const port = await freePort();
  const child = spawn('sh', [startScript], {
    cwd: root,
    env: startScriptEnv({
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      FACTORY_PORT: '0',
      ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      ...env,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutS * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the system exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      // Left running, it would keep writing to the data directory the caller is about to delete.
      child.kill('SIGKILL');
      await exited;
      throw new Error(`the system did not become healthy within ${startTimeoutS} s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    peakRssMb: () => statusMb(child, 'VmHWM'),
    rssMb: () => statusMb(child, 'VmRSS'),
    cpuMs: async () => cpuMsOf(await readFile(`/proc/${child.pid}/stat`, 'utf8')),
    cpuMsByThread: () => cpuMsByThread(child),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts the system once and stops it. The first start after an install or a change fills Node's compile
 * cache (scripts/start.sh), and every later one loads from it, lighter; this makes the
 * measured starts such later ones.
 */
export async function startAndStopOnce(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-bench-'));
  try {
    await (await startSystemProcess({ DATA_DIR: dataDir })).stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function statusMb(child: ChildProcess, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

/** utime + stime of a /proc stat line, in milliseconds (clock ticks of 10 ms: USER_HZ is 100 on Linux). */
function cpuMsOf(stat: string): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function cpuMsByThread(child: ChildProcess): Promise<Record<string, number>> {
  const byName: Record<string, number> = {};
  const tasks = `/proc/${child.pid}/task`;
  for (const tid of await readdir(tasks)) {
    // A thread may end between the listing and the read.
    const [name, stat] = await Promise.all([
      readFile(`${tasks}/${tid}/comm`, 'utf8'),
      readFile(`${tasks}/${tid}/stat`, 'utf8'),
    ]).catch(() => [undefined, undefined]);
    if (name === undefined || stat === undefined) continue;
    const thread = name.trim();
    byName[thread] = (byName[thread] ?? 0) + cpuMsOf(stat);
  }
  return byName;
}
