import { demandAt } from './demand-curve.ts';
import type { Series, SimulationResult } from './simulation.ts';

const WIDTH = 760;
const HEIGHT = 380;
const LEFT = 60;
const RIGHT = 60;
const TOP = 48;
const BOTTOM = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;

const COLORS = {
  fixed: '#d9480f',
  adaptive: '#1c7ed6',
  reorderPoint: '#74c0fc',
  demand: '#868e96',
  measured: '#7048e8',
};

/** A round step for about `count` ticks over `span`: 1, 2 or 5 times a power of ten. */
export function tickStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!;
}

/** A tick's value without the noise of adding up binary fractions. */
const tickLabel = (n: number) => String(Number(n.toPrecision(6)));

/**
 * At most two points per column of `columns` over [fromS, toS]: each column's lowest and highest in the
 * order they came, so a thin spike or a brief stock-out survives drawing thousands of samples.
 */
export function envelope(series: Series, fromS: number, toS: number, columns: number): Series {
  const out: Series = [];
  const width = (toS - fromS) / columns;
  let column = -1;
  let low: [number, number] | undefined;
  let high: [number, number] | undefined;
  const flush = () => {
    if (!low || !high) return;
    if (low === high) out.push(low);
    else out.push(...((low[0] <= high[0] ? [low, high] : [high, low]) as Series));
  };
  for (const point of series) {
    if (point[0] < fromS || point[0] > toS) continue;
    const c = Math.min(columns - 1, Math.floor((point[0] - fromS) / width));
    if (c !== column) {
      flush();
      column = c;
      low = point;
      high = point;
      continue;
    }
    if (point[1] < low![1]) low = point;
    if (point[1] > high![1]) high = point;
  }
  flush();
  return out;
}

/**
 * Stock over time of both policies (the adaptive product's reorder point in force dashed beside it),
 * the demand curve on its own axis, and the surge, its decay and the settled window shaded.
 */
export function simulationChart(r: SimulationResult): string {
  const { phases } = r;
  const endS = phases.endS;
  const stockMax = Math.max(
    1,
    ...r.series.stock.fixed.map((p) => p[1]),
    ...r.series.stock.adaptive.map((p) => p[1]),
    ...r.series.adaptiveReorderPoint.map((p) => p[1]),
  );
  const yStep = tickStep(stockMax, 5);
  const yTop = Math.ceil(stockMax / yStep) * yStep;
  const demandPeak = Math.max(
    r.scenario.curve.steadyPerS * r.scenario.curve.surgeMultiple,
    ...r.series.adaptiveMeasuredDemand.map((p) => p[1]),
  );
  const dStep = tickStep(demandPeak, 5);
  const dTop = Math.ceil(demandPeak / dStep) * dStep;
  const x = (t: number) => LEFT + (Math.min(Math.max(t, 0), endS) / endS) * PLOT_W;
  const y = (v: number) => TOP + PLOT_H - (v / yTop) * PLOT_H;
  const yDemand = (v: number) => TOP + PLOT_H - (v / dTop) * PLOT_H;
  const line = (series: Series, color: string, extra = '', yOf = y) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5"${extra} points="${envelope(series, 0, endS, PLOT_W)
      .map(([t, v]) => `${x(t).toFixed(1)},${yOf(v).toFixed(1)}`)
      .join(' ')}"/>`;
  const demand: string[] = [];
  for (let i = 0; i <= PLOT_W; i += 2) {
    const t = (i / PLOT_W) * endS;
    demand.push(`${x(t).toFixed(1)},${yDemand(demandAt(r.scenario.curve, Math.min(t, endS - 1e-9))).toFixed(1)}`);
  }
  const band = (from: number, to: number, fill: string, label: string) =>
    `<rect x="${x(from).toFixed(1)}" y="${TOP}" width="${(x(to) - x(from)).toFixed(1)}" height="${PLOT_H}" fill="${fill}"/><text x="${((x(from) + x(to)) / 2).toFixed(1)}" y="${TOP + 14}" text-anchor="middle" fill="#495057">${label}</text>`;
  const xStep = tickStep(endS, 8);
  const xTicks: string[] = [];
  for (let t = 0; t <= endS + 1e-9; t += xStep) {
    xTicks.push(
      `<line x1="${x(t).toFixed(1)}" y1="${TOP + PLOT_H}" x2="${x(t).toFixed(1)}" y2="${TOP + PLOT_H + 4}" stroke="#495057"/><text x="${x(t).toFixed(1)}" y="${TOP + PLOT_H + 17}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  const yTicks: string[] = [];
  for (let v = 0; v <= yTop + 1e-9; v += yStep) {
    yTicks.push(
      `<line x1="${LEFT}" y1="${y(v).toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y(v).toFixed(1)}" stroke="#e9ecef"/><text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`,
    );
  }
  const dTicks: string[] = [];
  for (let v = 0; v <= dTop + 1e-9; v += dStep) {
    dTicks.push(
      `<text x="${LEFT + PLOT_W + 6}" y="${(yDemand(v) + 4).toFixed(1)}" fill="${COLORS.demand}">${tickLabel(v)}</text>`,
    );
  }
  const legend: { label: string; color: string; dash: string }[] = [
    {
      label: `fixed (point ${r.scenario.reorderPoint}, batch ${r.scenario.reorderQuantity})`,
      color: COLORS.fixed,
      dash: '',
    },
    { label: 'adaptive', color: COLORS.adaptive, dash: '' },
    { label: 'its reorder point', color: COLORS.reorderPoint, dash: ' stroke-dasharray="4 3"' },
    { label: 'demand', color: COLORS.demand, dash: ' stroke-dasharray="2 2"' },
    { label: 'measured demand', color: COLORS.measured, dash: ' stroke-dasharray="1 2"' },
  ];
  let legendX = LEFT;
  const legendItems = legend
    .map((item) => {
      const lx = legendX;
      // About 6 px per character at this size.
      legendX += 44 + item.label.length * 6.2;
      return `<line x1="${lx.toFixed(1)}" y1="32" x2="${(lx + 22).toFixed(1)}" y2="32" stroke="${item.color}" stroke-width="2"${item.dash}/><text x="${(lx + 28).toFixed(1)}" y="36">${item.label}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">
  <title>Donut-States demand simulation ${r.date.slice(0, 10)}: stock over time, fixed and adaptive policy</title>
  <rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>
  <text x="${LEFT}" y="16" font-size="13" font-weight="bold">Stock on hand, fixed and adaptive policy, one seeded flash sale (${r.date.slice(0, 10)}${r.scenario.name === 'full' ? '' : `, ${r.scenario.name} run`})</text>
  ${legendItems}
  ${band(phases.surgeStartS, phases.surgeEndS, '#fff4e6', `surge ${r.scenario.curve.surgeMultiple}×`)}
  ${band(phases.surgeEndS, phases.steadyAgainS, '#fff9f0', 'decay')}
  ${band(phases.steadyAgainS + r.scenario.settleS, endS, '#ebfbee', 'settled')}
  ${yTicks.join('\n  ')}
  <polyline fill="none" stroke="${COLORS.demand}" stroke-width="1" stroke-dasharray="2 2" points="${demand.join(' ')}"/>
  ${line(r.series.adaptiveMeasuredDemand, COLORS.measured, ' stroke-dasharray="1 2"', yDemand)}
  ${line(r.series.adaptiveReorderPoint, COLORS.reorderPoint, ' stroke-dasharray="4 3"')}
  ${line(r.series.stock.fixed, COLORS.fixed)}
  ${line(r.series.stock.adaptive, COLORS.adaptive)}
  <line x1="${LEFT}" y1="${TOP + PLOT_H}" x2="${LEFT + PLOT_W}" y2="${TOP + PLOT_H}" stroke="#495057"/>
  <line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + PLOT_H}" stroke="#495057"/>
  ${xTicks.join('\n  ')}
  ${dTicks.join('\n  ')}
  <text x="${LEFT + PLOT_W / 2}" y="${HEIGHT - 8}" text-anchor="middle">seconds</text>
  <text x="14" y="${TOP + PLOT_H / 2}" text-anchor="middle" transform="rotate(-90 14 ${TOP + PLOT_H / 2})">units in stock</text>
  <text x="${WIDTH - 12}" y="${TOP + PLOT_H / 2}" text-anchor="middle" fill="${COLORS.demand}" transform="rotate(90 ${WIDTH - 12} ${TOP + PLOT_H / 2})">demand, units/s (dotted)</text>
</svg>
`;
}
