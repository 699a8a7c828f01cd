import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import { lambdaBundling, PROJECT_ROOT } from '../../src/platform/aws/resources/bundling.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'donut-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('Lambda bundling', () => {
  it('bundles an entry with local esbuild (no Docker) into an ES module that loads and runs on Node', () => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'BundleProbe');
    new nodejs.NodejsFunction(stack, 'Consumer', {
      entry: path.join(PROJECT_ROOT, 'src/app/lambda/consumer.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      bundling: lambdaBundling(),
    });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const bundle = path.join(outdir, assets[0]!, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);

    // Loaded by plain Node with nothing from node_modules: importing reads no environment; invoking it
    // without one fails on the first missing variable, which proves the bundled code ran.
    const probe = `
      const { handler } = await import(${JSON.stringify(bundle)});
      try {
        await handler({ Records: [] }, { awsRequestId: 'probe', getRemainingTimeInMillis: () => 1000 });
        console.log('no error');
      } catch (error) {
        console.log(error.message);
      }`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output).toContain('invalid Lambda environment');
    expect(output).toContain('FACTORY_URL');
  });
});
