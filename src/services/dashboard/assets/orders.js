// The orders panel: the latest orders and how many were cancelled.

import { $, clock, h, renderList } from './dom.js';

export function renderOrders(snapshot) {
  $('#cancellations').textContent = String(snapshot.cancellations);
  const body = $('#orders tbody');
  renderList(
    body,
    snapshot.orders.map((o) => `${o.id}${o.status}`).join(','),
    snapshot.orders.map((o) =>
      h(
        'tr',
        {},
        h('td', {}, h('time', { datetime: o.createdAt, text: clock(o.createdAt) })),
        h('td', {}, h('code', { text: o.id })),
        h('td', { text: o.sku }),
        h('td', { class: 'num', text: String(o.quantity) }),
        h('td', { text: o.customer }),
        h('td', { text: o.status }),
      ),
    ),
  );
}
