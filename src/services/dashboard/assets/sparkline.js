// The throughput panel: orders and units per second as a sparkline.

import { $ } from './dom.js';

export function renderSparkline(snapshot) {
  const { orders, units } = snapshot.throughput;
  const peak = Math.max(1, ...units, ...orders);
  const points = (values) =>
    values
      .map((v, i) => `${((i / Math.max(1, values.length - 1)) * 240).toFixed(1)},${(46 - (v / peak) * 44).toFixed(1)}`)
      .join(' ');
  $('#spark-orders').setAttribute('points', points(orders));
  $('#spark-units').setAttribute('points', points(units));
  $('#rate-now').textContent = String(orders.at(-1) ?? 0);
  $('#rate-peak').textContent = String(Math.max(0, ...orders));
  $('#rate-total').textContent = String(orders.reduce((a, b) => a + b, 0));
}
