import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/free-port.ts';
import { startScript, startScriptEnv } from '../../scripts/start-command.ts';
import { ADMIN_TOKEN, type ApiInit, type ApiResponse, callApi, waitFor } from './system.ts';

export { freePort };

const root = path.resolve(import.meta.dirname, '../..');

export interface SpawnedSystem {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  api(pathname: string, init?: ApiInit): Promise<ApiResponse>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
}

/**
 * Runs the system as `npm start` does, through its launcher, as its own process, as a user would, and
 * waits for /health. The launcher's Node replaces it, so the child's process id is Node's. A variable
 * given as `undefined` is unset (e.g. ADMIN_TOKEN, set to the tests' token otherwise).
 */
export async function spawnSystem(
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number } = {},
): Promise<SpawnedSystem> {
  const port = Number(env.PORT);
  const child = spawn('sh', [startScript], {
    cwd: root,
    env: startScriptEnv(startEnv(env)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `the spawned system on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output}`);
        return (await callApi(url, '/health')).status === 200;
      },
      options.timeoutMs ?? 60_000,
    );
  } catch (error) {
    // Not left running after the test gives up on it.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    child,
    output: () => output,
    api: (pathname, init) => callApi(url, pathname, init),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The environment `spawnSystem` starts with: the tests' defaults, then `env`, whose `undefined` values unset. */
export function startEnv(env: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  };
  return Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
