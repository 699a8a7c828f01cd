import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/free-port.ts';
import { STEPS } from '../../src/tools/smoke/walk.ts';
import { ADMIN_TOKEN, startTestSystem, type TestSystem } from '../helpers/system.ts';

const root = path.resolve(import.meta.dirname, '../..');

interface SmokeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** `npm run smoke -- <args>` as the shop runs it: its own process, plain Node, no test framework. */
function smoke(args: readonly string[]): Promise<SmokeRun> {
  const started = performance.now();
  const env = { ...process.env };
  delete env.ADMIN_TOKEN;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/tools/smoke/main.ts', ...args],
      { cwd: root, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

/** The final table's row of a step: `<n>  <step>  <RESULT>  ...`. */
function row(stdout: string, step: string): string {
  const table = stdout.slice(stdout.lastIndexOf('Smoke test of'));
  const line = table.split('\n').find((l) => new RegExp(`^\\s*\\d+\\s+${step}\\s{2,}`).test(l));
  if (!line) throw new Error(`no row for ${step} in\n${stdout}`);
  return line;
}

const smokeSkus = async (system: TestSystem) =>
  (await system.inventory.db.selectFrom('products').select(['sku', 'stock']).where('sku', 'like', 'SMOKE-%').execute())
    .map((p) => p.sku)
    .sort();

describe('npm run smoke against the embedded system', () => {
  let system: TestSystem;

  beforeAll(async () => {
    // Five 200 ms stages: the walk sees the replenishment open before the factory delivers.
    system = await startTestSystem({ FACTORY_STAGE_MS: '200' });
  }, 120_000);
  afterAll(async () => {
    await system?.destroy();
  });

  it('walks every step and passes, and its orders are cancelled afterwards; duplicate callbacks raise stock once', async () => {
    // The factory calls back three times: the walk must still see the stock rise exactly once.
    system.simulator!.faults = { ...system.simulator!.faults, duplicateCallbacks: 2 };
    const run = await smoke(['--url', system.url, '--token', ADMIN_TOKEN, '--factory', 'simulator', '--wait', '30']);
    system.simulator!.faults = { ...system.simulator!.faults, duplicateCallbacks: 0 };
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const step of STEPS) expect(row(run.stdout, step), step).toMatch(/\sPASS\s/);
    expect(run.stdout).toContain('SMOKE TEST PASSED');
    // Progress came line by line before the table.
    expect(run.stdout.indexOf('[ 1/15] health')).toBeLessThan(run.stdout.indexOf('Smoke test of'));

    // What the walk did, seen in the databases behind the API.
    const [sku] = await smokeSkus(system);
    expect(sku).toMatch(/^SMOKE-/);
    const product = await system.inventory.db
      .selectFrom('products')
      .select('stock')
      .where('sku', '=', sku!)
      .executeTakeFirstOrThrow();
    // 3, two sold, one delivered once, two returned by the cancellations.
    expect(product.stock).toBe(4);
    const orders = await system.inventory.db.selectFrom('orders').select('status').where('sku', '=', sku!).execute();
    expect(orders.map((o) => o.status)).toEqual(['cancelled', 'cancelled']);
    const mails = await system.notifications.db
      .selectFrom('notifications')
      .select('kind')
      .where('sku', '=', sku!)
      .orderBy('kind')
      .execute();
    expect(mails.map((m) => m.kind)).toEqual(['pause_ads', 'resume_ads']);
    expect(run.stdout).toContain(`product ${sku} (the API deletes no product)`);
  });

  it('fails with a clear message and exit code 1 when the admin token is wrong, and creates nothing', async () => {
    const before = await smokeSkus(system);
    const run = await smoke(['--url', system.url, '--token', 'not-the-token']);
    expect(run.code).toBe(1);
    expect(row(run.stdout, 'health')).toMatch(/\sPASS\s/);
    expect(row(run.stdout, 'admin token')).toMatch(/\sFAIL\s.*the admin token was refused \(401\)/);
    for (const step of STEPS.slice(2)) expect(row(run.stdout, step), step).toMatch(/\sSKIP\s/);
    expect(run.stdout).toContain('SMOKE TEST FAILED');
    expect(await smokeSkus(system)).toEqual(before);
  });

  it('fails fast with a clear message when nothing answers at the URL', async () => {
    const port = await freePort();
    const run = await smoke(['--url', `http://127.0.0.1:${port}`, '--token', ADMIN_TOKEN]);
    expect(run.code).toBe(1);
    expect(row(run.stdout, 'health')).toMatch(
      new RegExp(`FAIL .*cannot reach http://127\\.0\\.0\\.1:${port}: connection refused`),
    );
    for (const step of STEPS.slice(1)) expect(row(run.stdout, step), step).toMatch(/\sSKIP\s/);
    expect(run.ms).toBeLessThan(10_000);
  });

  it('fails the factory steps, and exits 1, when the factory refuses every order', async () => {
    system.simulator!.faults = { ...system.simulator!.faults, down: true };
    try {
      const run = await smoke(['--url', system.url, '--token', ADMIN_TOKEN, '--factory', 'simulator', '--wait', '3']);
      expect(run.code).toBe(1);
      expect(row(run.stdout, 'replenishment opened')).toMatch(/\sPASS\s/);
      expect(row(run.stdout, 'factory order')).toMatch(/\sFAIL\s.*not seen within 3 s/);
      expect(row(run.stdout, 'factory callback')).toMatch(/\sSKIP\s.*needs factory order/);
      // The mail does not wait for the factory; cleaning up still runs.
      expect(row(run.stdout, 'pause mail')).toMatch(/\sPASS\s/);
      expect(row(run.stdout, 'clean up')).toMatch(/\sPASS\s/);
      expect(run.stdout).toMatch(/replenishment \S+: 1 unit ordered from factory "smoke-test"/);
    } finally {
      system.simulator!.faults = { ...system.simulator!.faults, down: false };
    }
  });

  it('refuses a wrong command line with the usage and exit code 2', async () => {
    const run = await smoke(['--url', 'not a url', '--token', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--url must be an http(s) URL');
    expect(run.stderr).toContain('usage: npm run smoke');
  });
});
