import path from 'node:path';

/** The launcher `npm start` runs (`sh scripts/start.sh`): the system with its process settings. */
export const startScript = path.resolve(import.meta.dirname, 'start.sh');

/**
 * `env` with this process's Node first on PATH, as npm puts the project's: the launcher runs `node`
 * from PATH, so the system runs on the same Node as the tests or the benchmark that start it.
 */
export function startScriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: [path.dirname(process.execPath), env.PATH].filter(Boolean).join(path.delimiter) };
}
