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
  return `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpus} × ${r.machine.cpu ?? 'cpu'}, Node ${r.machine.node}${r.scenario.name === 'full' ? '' : ` (${r.scenario.name} run)`}: ${fmt(r.buyers)} buyers in ${fmt(r.phases.endS)} s, the whole run ${fmt(r.wallS)} s; buyers sent late by p50 ${fmt(r.lateMs.p50, 1)} / p99 ${fmt(r.lateMs.p99, 1)} / max ${fmt(r.lateMs.max)} ms. The factory's lead time as measured: median ${r.leadTime.medianS === null ? '–' : `${fmt(r.leadTime.medianS, 1)} s`} over ${r.leadTime.deliveries} deliveries; the adaptive product's planned order at steady demand: ${fmt(r.steadyOrderQuantity)} units.`;
}

/**
 * docs/simulation.md: how the simulation works and the figures of the full run it was written by,
 * naming the stored result it was made from, so the page can be checked against it.
 */
export function simulationPage(r: SimulationResult, resultFile: string): string {
  const chartFile = resultFile.replace(/\.json$/, '.svg');
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
  ].join('\n');
}
