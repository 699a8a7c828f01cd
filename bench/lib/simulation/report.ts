import { fmt } from '../report.ts';
import type { Policy, SimulationResult } from './simulation.ts';
import type { PolicySummary } from './summary.ts';

const rows: { label: (r: SimulationResult) => string; value: (p: PolicySummary) => string }[] = [
  { label: () => 'units demanded', value: (p) => fmt(p.demanded) },
  { label: () => 'units sold', value: (p) => fmt(p.sold) },
  { label: () => 'units refused (lost sales)', value: (p) => `**${fmt(p.refused)}**` },
  { label: () => 'seconds out of stock', value: (p) => fmt(p.secondsOutOfStock, 1) },
  { label: () => 'factory orders (units ordered)', value: (p) => `${fmt(p.factoryOrders)} (${fmt(p.unitsOrdered)})` },
  { label: () => 'mean stock on hand', value: (p) => fmt(p.meanStock, 1) },
  { label: () => 'largest stock', value: (p) => fmt(p.maxStock) },
  {
    label: (r) => `largest stock once demand was steady again for ${fmt(r.scenario.settleS)} s`,
    value: (p) => fmt(p.maxStockSettled),
  },
];

/** The per-policy figures, the targets and the invariants as markdown tables. */
export function simulationTables(r: SimulationResult): string {
  const policies: Policy[] = ['fixed', 'adaptive'];
  return [
    '| measure | fixed | adaptive |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.label(r)} | ${policies.map((p) => row.value(r.policies[p])).join(' | ')} |`),
    '',
    '| target | measured | limit | met |',
    '| --- | --- | --- | --- |',
    ...r.targets.map((t) => {
      const share = t.limit < 1;
      const show = (n: number) => (share ? `${fmt(n * 100, 1)} %` : fmt(n));
      return `| ${t.name} | ${show(t.value)} | ${share ? '≥' : '≤'} ${show(t.limit)} | ${t.ok ? 'yes' : '**no**'} |`;
    }),
    '',
    '| invariant | held | detail |',
    '| --- | --- | --- |',
    ...r.invariants.map((i) => `| ${i.name} | ${i.ok ? 'yes' : '**NO**'} | ${i.detail} |`),
    '',
  ].join('\n');
}

/** One line on how the run went: where, how long, how accurately the buyers were sent. */
export function runLine(r: SimulationResult): string {
  return `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpus} × ${r.machine.cpu ?? 'cpu'}, Node ${r.machine.node}${r.scenario.name === 'full' ? '' : ` (${r.scenario.name} run)`}: ${fmt(r.buyers)} buyers in ${fmt(r.phases.endS)} s, the whole run ${fmt(r.wallS)} s; buyers sent late by p50 ${fmt(r.lateMs.p50, 1)} / p99 ${fmt(r.lateMs.p99, 1)} / max ${fmt(r.lateMs.max)} ms. The factory's lead time as measured: median ${r.leadTime.medianS === null ? '–' : `${fmt(r.leadTime.medianS, 1)} s`} over ${r.leadTime.deliveries} deliveries; the adaptive product's planned order at steady demand: ${fmt(r.steadyOrderQuantity)} units; its demand as the system measured it peaked at ${fmt(Math.max(0, ...r.series.adaptiveMeasuredDemand.map((p) => p[1])), 1)} units/s (the curve's peak: ${fmt(r.scenario.curve.steadyPerS * r.scenario.curve.surgeMultiple)}).`;
}

/**
 * docs/simulation.md: how the simulation works and the figures of the full run it was written by,
 * naming the stored result it was made from, so the page can be checked against it.
 */
export function simulationPage(r: SimulationResult, resultFile: string): string {
  const s = r.scenario;
  const c = s.curve;
  const chartFile = resultFile.replace(/\.json$/, '.svg');
  const adaptive = Object.entries(s.adaptive).map(([key, value]) => `\`${key}\` ${value}`);
  return [
    '# Demand simulation: fixed against adaptive reorder points',
    '',
    `Written by \`npm run simulate\` from [${resultFile}](../${resultFile}); a full run replaces this page, a quick`,
    'run (`npm run simulate -- --quick`) leaves it alone. The policies themselves: [planning.md](planning.md).',
    '',
    `![stock over time, both policies](../${chartFile})`,
    '',
    runLine(r),
    '',
    simulationTables(r),
    'Factory orders, units at the second each was placed (→ the second its stock arrived):',
    '',
    ...(['fixed', 'adaptive'] as const).map(
      (p) =>
        `- ${p}: ${r.orders[p].map((o) => `${fmt(o.quantity)} at ${fmt(o.requestedS)} (→ ${o.completedS === null ? 'open at the end' : fmt(o.completedS)})`).join(', ')}`,
    ),
    '',
    '## What it does',
    '',
    `- Starts the real system as \`npm start\` does, with a fresh data directory in the operating system's`,
    `  temporary directory, on the loopback interface only, with the built-in factory simulator at ${fmt(s.factoryStageMs)} ms per stage`,
    `  (four stages, so a lead time of about ${fmt((4 * s.factoryStageMs) / 1000, 1)} s plus the system's own hops; the real factory takes about 10 s a stage).`,
    `- Creates two products that start alike: ${fmt(s.stock)} in stock, reorder point ${fmt(s.reorderPoint)}, batch ${fmt(s.reorderQuantity)}, the same factory.`,
    `  One keeps \`reorderPolicy: "fixed"\`; the other is \`"adaptive"\`${adaptive.length > 0 ? ` with ${adaptive.join(', ')}` : ' with the default service level'}.`,
    `- Runs the planning job with \`PLANNING_DEMAND_HALF_LIFE_S=${s.planning.demandHalfLifeS}\`, \`PLANNING_COVER_S=${s.planning.coverS}\` and`,
    `  \`PLANNING_DEFAULT_LEAD_TIME_S=${s.planning.defaultLeadTimeS}\`: the defaults (20 s, 120 s) scaled to the faster factory, and`,
    "  its nominal lead time until deliveries measure it. Everything else is the system's default.",
    `- Replays one demand curve, seed ${s.seed}: ${fmt(c.steadyPerS)} unit/s for ${fmt(c.steadyBeforeS)} s, a crowd arriving over ${fmt(c.rampS)} s to`,
    `  ${fmt(c.surgeMultiple)}× that for ${fmt(c.surgeS)} s, ${fmt(c.decayS)} s of decay (the excess halving every ${fmt(c.decayHalfLifeS)} s), then steady`,
    `  for ${fmt(c.steadyAfterS)} s. Buyers arrive as a Poisson process that follows the curve. Each buyer checks out one`,
    '  unit of each product at the same moment, so both policies face the same buyers, the same factory and the',
    '  same machine. The demand is open-loop: a buyer does not wait for the one before, and a 409',
    '  `out_of_stock` is a lost sale, not retried.',
    `- Reads both products from \`GET /products\` every ${fmt(s.sampleEveryMs)} ms: seconds out of stock, mean and largest`,
    `  stock come from these readings. "Settled" is the largest stock once demand has been steady again for ${fmt(s.settleS)} s.`,
    '  Factory orders come from the inventory database, read after the system has stopped; the invariants compare',
    '  that database with what the buyers were told.',
    '',
    '## Reading the chart',
    '',
    'Stock of the fixed product (orange) and the adaptive one (blue), the adaptive reorder point in force',
    '(dashed), the demand curve and the demand the planning job measured for the adaptive product (dotted, right',
    'axis). The planning job measures demand from confirmed sales ([planning.md](planning.md)): where the measured',
    'line runs below the curve, the plan rests on less demand than buyers brought. Shaded: the surge, its decay',
    'and the settled window the second target is measured in.',
    '',
    '## Running it',
    '',
    `- \`npm run simulate\`: this run, about ${fmt(Math.ceil(r.wallS / 60))} minutes on this machine. It writes \`bench/results/simulate-latest.json\``,
    '  and `.svg` and this page, prints the tables and exits non-zero when an invariant broke; a missed target is',
    '  printed, not fatal.',
    '- `npm run simulate -- --quick`: the same shop, every phase shorter (45 s of demand), written to',
    '  `bench/results/simulate-quick.*`.',
    '- `npm run simulate -- --render` runs nothing: it redraws the chart and this page from the stored full run.',
    '- `test/bench/simulate-smoke.test.ts` runs a smaller one in `npm test`: the adaptive product refuses fewer',
    '  units than the fixed one, and every invariant holds. It checks no timings and no target figures.',
    '',
    '## Limits',
    '',
    '- One machine runs the system and the buyers; the seed fixes the buyers, not the machine, so figures move',
    '  from run to run with its load. The line above says how late buyers were sent.',
    `- Stock is read every ${fmt(s.sampleEveryMs)} ms, so a stock-out shorter than that can be missed.`,
    '- Both products share one factory and one process: what one does can slow the other, alike for both.',
    '',
  ].join('\n');
}
