import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchResult, chart, latestPage, markdown } from '../../bench/lib/report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFile(path.join(root, file), 'utf8');

async function pageAndResult() {
  const page = await read('docs/bench-latest.md');
  const resultFile = /from \[(bench\/results\/[^\]]+\.json)\]/.exec(page)?.[1];
  expect(resultFile, 'docs/bench-latest.md names the stored result it was made from').toBeDefined();
  const result = JSON.parse(await read(resultFile!)) as BenchResult;
  return { page, resultFile: resultFile!, result };
}

describe('benchmark report', () => {
  it('docs/bench-latest.md and its chart are what the renderer makes of the full run they name', async () => {
    const { page, resultFile, result } = await pageAndResult();
    expect(result.quick).toBe(false);
    expect(page).toBe(latestPage(result, resultFile));
    expect(await read('docs/bench-latest.svg')).toBe(chart(result));
  });

  it('shows a broken invariant and a missed target, never hides them', async () => {
    const { result } = await pageAndResult();
    const broken: BenchResult = structuredClone(result);
    broken.flashSale.invariants[0]!.ok = false;
    broken.targets[0]!.ok = false;
    const text = markdown(broken);
    expect(text).toContain(`| ${broken.flashSale.invariants[0]!.name} | **NO** |`);
    expect(text).toMatch(new RegExp(`\\| ${broken.targets[0]!.name} \\| [^|]+ \\| no \\|`));
    expect(markdown(result)).not.toContain('**NO**');
  });
});
