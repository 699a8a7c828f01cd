/**
 * Which folder of src/ may import which: contract ← platform ← services ← app. The composition root
 * (src/app) wires everything; platform/ is what services stand on and imports no service; a service
 * reaches another only through contract/ (events, HTTP shapes) and the databases' table types.
 * Checked by `npm run lint` (depcruise src --config .dependency-cruiser.cjs); test/lint/dependency-rules.test.ts
 * proves a forbidden import fails it.
 */

/** Each folder may import itself and these, nothing else of src/. Written once; the rules below are derived. */
const MAY_IMPORT = {
  // The declaration of the whole system: imports nothing, so everything may read it.
  'topology.ts': [],
  contract: ['topology.ts'],
  platform: ['contract', 'topology.ts', 'databases/migration-names.ts'],
  databases: ['contract', 'topology.ts', 'platform'],
  diagram: ['topology.ts'],
  'factory-simulator': ['contract', 'platform'],
  // A service also imports its own folder only (see `services-stay-apart`).
  services: ['contract', 'topology.ts', 'platform', 'databases'],
  app: ['contract', 'topology.ts', 'platform', 'databases', 'services', 'diagram', 'factory-simulator'],
  // Tools run by npm scripts (`npm run schema`); nothing imports them.
  schema: ['contract', 'topology.ts', 'platform', 'databases', 'services'],
  // Black-box tools that reach a deployment only over HTTP (`npm run smoke`): nothing of the system.
  tools: [],
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A folder's files, or a file of src/ with its test beside it. */
const under = (name) =>
  name.endsWith('.ts') ? `^src/${escape(name.slice(0, -3))}(\\.test)?\\.ts$` : `^src/${escape(name)}/`;

module.exports = {
  allowed: [
    // Packages, Node's own modules and package.json (the version in the OpenAPI document).
    { from: {}, to: { dependencyTypesNot: ['local'] } },
    { from: {}, to: { path: '^package\\.json$' } },
    // Only src/ is layered; test helpers that src/ tests import are followed but not held to it.
    { from: { pathNot: '^src/' }, to: {} },
    // Tests may reach test helpers and scripts; the layers below still hold for what they import of src/.
    { from: { path: '\\.test\\.ts$' }, to: { path: '^(test|scripts)/' } },
    ...Object.entries(MAY_IMPORT).map(([folder, targets]) => ({
      from: { path: under(folder) },
      to: { path: [folder, ...targets].map(under) },
    })),
  ],
  allowedSeverity: 'error',
  forbidden: [
    {
      name: 'services-stay-apart',
      comment: 'A service reaches another only through contract/ and databases/, never by importing it.',
      severity: 'error',
      from: { path: '^src/services/([^/]+)/' },
      to: { path: '^src/services/', pathNot: '^src/services/$1/' },
    },
    {
      name: 'aws-is-not-local',
      comment: 'The AWS runtime and stack never load the embedded runtime.',
      severity: 'error',
      from: { path: '^src/platform/aws/' },
      to: { path: '^src/platform/local/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
