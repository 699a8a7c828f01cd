import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import startPostgres from '../setup/postgres.ts';
import type { ChaosContext, ScenarioResult } from './harness.ts';
import { type SizeName, scenarios } from './scenarios/index.ts';

/**
 * `npm run chaos`: every reliability scenario at report size, one after another, on a fresh system
 * each. Prints a markdown table, writes it with every invariant's numbers to docs/reliability.md and
 * exits non-zero when any invariant failed.
 *
 *   npm run chaos                       the full report
 *   npm run chaos -- --size test        the sizes `npm test` uses (quick; printed, not written)
 *   npm run chaos -- --only crash,fuzz  some scenarios (printed, not written)
 *   --out FILE                          write the report there instead (--out - : nowhere)
 *   CHAOS_LOG_DIR=dir                   keep the crash scenario's process logs
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const size = (option('size') ?? 'report') as SizeName;
if (size !== 'test' && size !== 'report') throw new Error('--size is test or report');
const only = option('only')?.split(',');
const unknown = only?.filter((id) => !scenarios.some((scenario) => scenario.id === id)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `--only: no scenario ${unknown.join(', ')}; the scenarios are ${scenarios.map((s) => s.id).join(', ')}`,
  );
}
const root = path.resolve(import.meta.dirname, '../..');
// Only a full report replaces docs/reliability.md unless told otherwise.
const out = option('out') ?? (only || size === 'test' ? '-' : path.join(root, 'docs/reliability.md'));

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// Scenarios that also run on PostgreSQL need a server: the same private cluster the tests start.
let postgresUrl: string | undefined;
let stopPostgres = async () => {};
try {
  stopPostgres = await startPostgres({
    provide: (key: string, value: string) => {
      if (key === 'postgresUrl') postgresUrl = value;
    },
  } as unknown as TestProject);
} catch (error) {
  log(`no PostgreSQL server (${(error as Error).message.split('\n')[0]}): the engine scenarios run on PGlite only`);
}
const context: ChaosContext = { postgresUrl, log };

const results: ScenarioResult[] = [];
const started = Date.now();
try {
  for (const scenario of scenarios) {
    if (only && !only.includes(scenario.id)) continue;
    log(`${scenario.id}: starting (${size})`);
    const result = await scenario.run(size, context);
    const failed = result.invariants.filter((i) => !i.ok);
    log(
      `${scenario.id}: ${failed.length === 0 ? 'PASS' : `FAIL (${failed.length})`} in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    for (const invariant of failed) log(`  ✘ ${invariant.name}: ${invariant.detail}`);
    results.push(result);
  }
} finally {
  await stopPostgres();
}

const report = renderReport(results, size, Date.now() - started);
process.stdout.write(`${report}\n`);
if (out !== '-') {
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, report);
  log(`written to ${path.relative(process.cwd(), out)}`);
}
process.exit(results.every((r) => r.invariants.every((i) => i.ok)) ? 0 : 1);

function renderReport(results: readonly ScenarioResult[], sizeName: SizeName, totalMs: number): string {
  const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const passed = results.every((r) => r.invariants.every((i) => i.ok));
  const lines = [
    '# Reliability',
    '',
    `Measured by \`npm run chaos\`${sizeName === 'test' ? ' -- --size test' : ''} on ${new Date().toISOString().slice(0, 10)}, ` +
      `${cpus().length} CPU cores, Node ${process.versions.node}, ${(totalMs / 60_000).toFixed(1)} min in all: ` +
      `${passed ? 'every invariant held' : 'SOME INVARIANTS FAILED'}. ` +
      'The same scenarios run small in `npm test` (test/chaos/), where they assert every invariant.',
    '',
    '| scenario | load | faults injected | invariants checked | result |',
    '| --- | --- | --- | --- | --- |',
    ...results.map((r) => {
      const ok = r.invariants.filter((i) => i.ok).length;
      const result = ok === r.invariants.length ? `pass (${ok}/${ok})` : `**FAIL** (${ok}/${r.invariants.length})`;
      return `| ${cell(r.scenario)} | ${cell(r.load)} | ${cell(r.faults)} | ${cell(r.invariants.map((i) => `${i.ok ? '✔' : '✘'} ${i.name}`).join('<br>'))} | ${result}, ${(r.durationMs / 1000).toFixed(0)} s |`;
    }),
    '',
    '## The numbers behind each invariant',
    '',
  ];
  for (const r of results) {
    lines.push(`**${r.scenario}**`, '');
    for (const i of r.invariants) lines.push(`- ${i.ok ? '✔' : '✘'} ${i.name} — ${i.detail.replaceAll('\n', ' ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
