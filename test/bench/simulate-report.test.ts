import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulationChart } from '../../bench/lib/simulation/chart.ts';
import { simulationPage, simulationTables } from '../../bench/lib/simulation/report.ts';
import type { SimulationResult } from '../../bench/lib/simulation/simulation.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFile(path.join(root, file), 'utf8');

async function pageAndResult() {
  const page = await read('docs/simulation.md');
  const resultFile = /from \[(bench\/results\/[^\]]+\.json)\]/.exec(page)?.[1];
  expect(resultFile, 'docs/simulation.md names the stored result it was made from').toBeDefined();
  const result = JSON.parse(await read(resultFile!)) as SimulationResult;
  return { page, resultFile: resultFile!, result };
}

describe('simulation report', () => {
  it('docs/simulation.md and its chart are what the renderer makes of the full run they name', async () => {
    const { page, resultFile, result } = await pageAndResult();
    expect(result.scenario.name).toBe('full');
    expect(page).toBe(simulationPage(result, resultFile));
    expect(await read(resultFile.replace(/\.json$/, '.svg'))).toBe(simulationChart(result));
  });

  it('shows a broken invariant and a missed target, never hides them', async () => {
    const { result } = await pageAndResult();
    const broken: SimulationResult = structuredClone(result);
    (broken.invariants[0] as { ok: boolean }).ok = false;
    (broken.targets[0] as { ok: boolean }).ok = false;
    const text = simulationTables(broken);
    expect(text).toContain(`| ${broken.invariants[0]!.name} | **NO** |`);
    expect(text).toMatch(new RegExp(`\\| ${broken.targets[0]!.name} \\| [^|]+ \\| [^|]+ \\| \\*\\*no\\*\\* \\|`));
    const held: SimulationResult = structuredClone(result);
    for (const i of held.invariants) (i as { ok: boolean }).ok = true;
    for (const t of held.targets) (t as { ok: boolean }).ok = true;
    expect(simulationTables(held)).not.toMatch(/\*\*NO\*\*|\*\*no\*\*/);
  });
});
