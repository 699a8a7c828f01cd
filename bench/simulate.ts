import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fmt } from './lib/report.ts';
import { simulationChart } from './lib/simulation/chart.ts';
import { runLine, simulationPage, simulationTables } from './lib/simulation/report.ts';
import { resultJson } from './lib/simulation/result-file.ts';
import { fullScenario, quickScenario } from './lib/simulation/scenarios.ts';
import { runSimulation, type SimulationResult } from './lib/simulation/simulation.ts';

// `npm run simulate`: one seeded flash sale replayed against the real system, a fixed-policy product
// and an adaptive one side by side; figures, targets and invariants printed, JSON and an SVG chart to
// bench/results/simulate-latest.*, docs/simulation.md rewritten. `--quick` for a short run written to
// bench/results/simulate-quick.* that leaves the docs alone. `--render` runs nothing: it redraws the
// chart and the page from the stored full run, after a change to how they are drawn.
const quick = process.argv.includes('--quick');
const here = import.meta.dirname;
const latest = 'bench/results/simulate-latest.json';

if (process.argv.includes('--render')) {
  const stored = JSON.parse(await readFile(path.join(here, '..', latest), 'utf8')) as SimulationResult;
  await writeFile(path.join(here, '..', latest.replace(/\.json$/, '.svg')), simulationChart(stored));
  await writeFile(path.join(here, '..', 'docs', 'simulation.md'), simulationPage(stored, latest));
  console.log(`chart and docs/simulation.md redrawn from ${latest}`);
  process.exit(0);
}

const scenario = quick ? quickScenario : fullScenario;
const { curve } = scenario;

console.log(
  `replaying ${fmt(curve.steadyBeforeS + curve.rampS + curve.surgeS + curve.decayS + curve.steadyAfterS)} s of demand (steady ${curve.steadyPerS}/s, surge ${curve.surgeMultiple}× for ${curve.surgeS} s), seed ${scenario.seed}, factory stages of ${scenario.factoryStageMs} ms…`,
);
const result = await runSimulation(scenario);
console.log(`\n${runLine(result)}\n\n${simulationTables(result)}`);

const name = quick ? 'simulate-quick' : 'simulate-latest';
const dir = path.join(here, 'results');
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, `${name}.json`), resultJson(result));
await writeFile(path.join(dir, `${name}.svg`), simulationChart(result));
console.log(`results written to ${path.relative(process.cwd(), path.join(dir, name))}.json and .svg`);
if (!quick) {
  await writeFile(path.join(here, '..', 'docs', 'simulation.md'), simulationPage(result, `bench/results/${name}.json`));
  console.log('docs/simulation.md updated');
}

for (const t of result.targets) console.log(`target ${t.ok ? 'met' : 'MISSED'}: ${t.name}`);
const broken = result.invariants.filter((i) => !i.ok);
if (broken.length > 0) {
  console.error(`\nINVARIANTS BROKEN:\n${broken.map((i) => `  ✗ ${i.name}: ${i.detail}`).join('\n')}`);
  process.exit(1);
}
