import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The rules `npm run lint` checks, run on a few small files laid out as src/ is.
const { options, ...ruleSet } = createRequire(import.meta.url)('../../.dependency-cruiser.cjs');

let root: string;

async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(path.join(root, 'case-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  const { output } = await cruise(['src'], {
    baseDir: dir,
    validate: true,
    ruleSet,
    doNotFollow: options.doNotFollow,
    tsPreCompilationDeps: true,
  });
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'dependency-rules-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the dependency rules (.dependency-cruiser.cjs)', () => {
  it('let the composition root import a service, and a service import the platform', async () => {
    expect(
      await violations({
        'src/platform/service.ts': 'export const base = 1;\n',
        'src/services/sales/index.ts':
          "import { base } from '../../platform/service.ts';\nexport const sales = base;\n",
        'src/app/services.ts': "import { sales } from '../services/sales/index.ts';\nexport const all = [sales];\n",
      }),
    ).toEqual([]);
  });

  it('fail the platform importing a service', async () => {
    expect(
      await violations({
        'src/services/sales/index.ts': 'export const sales = 1;\n',
        'src/platform/wiring.ts': "import { sales } from '../services/sales/index.ts';\nexport const all = [sales];\n",
      }),
    ).toEqual(['not-in-allowed: src/platform/wiring.ts → src/services/sales/index.ts']);
  });

  it('fail a service importing another service, and platform/aws importing platform/local', async () => {
    const found = await violations({
      'src/services/sales/index.ts': 'export const sales = 1;\n',
      'src/services/ops/index.ts': "import { sales } from '../sales/index.ts';\nexport const ops = sales;\n",
      'src/platform/local/gateway.ts': 'export const gateway = 1;\n',
      'src/platform/aws/adapters.ts': "import { gateway } from '../local/gateway.ts';\nexport const a = gateway;\n",
    });
    expect(found.sort()).toEqual([
      'aws-is-not-local: src/platform/aws/adapters.ts → src/platform/local/gateway.ts',
      'services-stay-apart: src/services/ops/index.ts → src/services/sales/index.ts',
    ]);
  });

  it('fail a circular import', async () => {
    expect(
      await violations({
        'src/platform/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
        'src/platform/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      }),
    ).toEqual(['no-circular: src/platform/a.ts → src/platform/b.ts']);
  });
});
