import { spawn } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScript, startScriptEnv } from '../../../../scripts/start-command.ts';

const root = path.resolve(import.meta.dirname, '../../../..');

/** What Node, started by the launcher, sees before it loads the system: it reports and exits at once. */
interface Seen {
  pid: number;
  execPath: string;
  execArgv: string[];
  script: string;
  args: string[];
  env: Record<string, string | undefined>;
  nodeDefaultCompileCache: string;
}

let dir: string;
let probe: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'donut-start-script-'));
  probe = path.join(dir, 'probe.mjs');
  await writeFile(
    probe,
    `
    import os from 'node:os';
    import path from 'node:path';
    const names = ['MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'NODE_COMPILE_CACHE', 'PORT'];
    console.log(JSON.stringify({
      pid: process.pid,
      execPath: process.execPath,
      execArgv: process.execArgv,
      script: process.argv[1],
      args: process.argv.slice(2),
      env: Object.fromEntries(names.map((name) => [name, process.env[name]])),
      nodeDefaultCompileCache: path.join(os.tmpdir(), 'node-compile-cache'),
    }));
    process.exit(0);
    `,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The operator's environment, without anything the launcher sets, plus `own`. */
function operatorEnv(own: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
  for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'NODE_COMPILE_CACHE']) {
    delete env[name];
  }
  return { ...env, ...own };
}

/** Runs the launcher as `npm start` does, with a preload that reports what Node sees instead of starting the system. */
async function launch(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ spawnedPid: number; seen: Seen }> {
  const preload = `--import=${pathToFileURL(probe).href}`;
  const child = spawn('sh', [startScript, ...args], {
    cwd: root,
    env: startScriptEnv({ ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${preload}`.trim() }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return { spawnedPid: child.pid!, seen: JSON.parse(stdout) };
}

describe('scripts/start.sh, what `npm start` runs', () => {
  it("starts the system's entry point on the project's Node, replacing itself so signals reach Node", async () => {
    const { spawnedPid, seen } = await launch(operatorEnv({}), ['--extra']);
    expect(seen.execPath).toBe(process.execPath);
    expect(seen.script).toBe(await realpath(path.join(root, 'src/app/local/main.ts')));
    expect(seen.args).toEqual(['--extra']);
    expect(seen.pid).toBe(spawnedPid);
  });

  it("sets the allocator's variables, V8's semi-space flag and Node's compile cache in Node's default place", async () => {
    const { seen } = await launch(operatorEnv({ PORT: '3000' }));
    expect(seen.env).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MALLOC_MMAP_THRESHOLD_: '131072',
      NODE_COMPILE_CACHE: seen.nodeDefaultCompileCache,
      PORT: '3000',
    });
    expect(seen.nodeDefaultCompileCache).toBe(path.join(dir, 'node-compile-cache'));
    expect(seen.execArgv).toContain('--max-semi-space-size=8');
  });

  it("leaves the operator's own settings as they are: each allocator variable, the compile cache, the flag in NODE_OPTIONS", async () => {
    const ownCache = path.join(dir, 'own-cache');
    const { seen } = await launch(
      operatorEnv({ MALLOC_ARENA_MAX: '8', NODE_COMPILE_CACHE: ownCache, NODE_OPTIONS: '--max-semi-space-size=32' }),
    );
    expect(seen.env).toMatchObject({
      MALLOC_ARENA_MAX: '8',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MALLOC_MMAP_THRESHOLD_: '131072',
      NODE_COMPILE_CACHE: ownCache,
    });
    expect(seen.execArgv.filter((arg) => arg.startsWith('--max-semi-space-size'))).toEqual([]);
    // V8 also takes the flag spelled with underscores.
    const underscores = await launch(operatorEnv({ NODE_OPTIONS: '--max_semi_space_size=32' }));
    expect(underscores.seen.execArgv.filter((arg) => arg.startsWith('--max-semi-space-size'))).toEqual([]);
  });
});
