// The customers panel: purchases per customer and who is VIP.

import { $, h, renderList } from './dom.js';

export function renderCustomers(snapshot) {
  $('#vip-threshold').textContent = String(snapshot.vipThreshold);
  renderList(
    $('#customers'),
    snapshot.customers.map((c) => `${c.customer}${c.tier}${c.purchasedQuantity}`).join('|'),
    snapshot.customers.map((c) =>
      h(
        'li',
        { dataset: { tier: c.tier } },
        h('span', { text: c.customer }),
        c.tier === 'vip' ? h('span', { class: 'badge-vip', text: 'VIP' }) : null,
        h('span', { class: 'meta', text: `${c.purchasedQuantity} bought` }),
      ),
    ),
  );
}
