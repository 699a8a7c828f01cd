import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup: one empty, initialised PGlite cluster for the whole run, provided as
 * `pgliteTemplate`. Creating a cluster runs initdb inside WebAssembly (seconds on a small machine);
 * suites that start many systems copy this one instead (test/chaos/harness.ts).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'donut-pglite-template-'));
  const pglite = await PGlite.create(dir);
  await pglite.close();
  project.provide('pgliteTemplate', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
