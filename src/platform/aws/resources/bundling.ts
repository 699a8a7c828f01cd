import path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** The project root, where package-lock.json is: esbuild resolves from here. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../../../..');

/**
 * How every function is bundled: esbuild from node_modules (no Docker), one ES module per entry.
 * `assetsDir` (relative to the project) is copied beside the bundle for a service that reads files
 * next to its module.
 */
export function lambdaBundling(assetsDir?: string): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    format: nodejs.OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // The AWS SDK is bundled (the versions we test); the embedded-only packages are never loaded on Lambda.
    externalModules: ['@electric-sql/pglite', 'fauxqs', 'pg-native'],
    // CommonJS dependencies (pg, the X-Ray SDK) call require(); an ES module bundle has to provide it.
    banner:
      "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    ...(assetsDir
      ? {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [
              `cp -R "${path.join(inputDir, assetsDir)}" "${path.join(outputDir, 'assets')}"`,
            ],
          },
        }
      : {}),
  };
}
