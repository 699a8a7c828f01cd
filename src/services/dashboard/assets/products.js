// The products panel: one card per product, its stock and its replenishment step by step, with a buy form.

import { $, announce, clock, h, moneyFormat, since } from './dom.js';
import { checkout, customerId } from './identity.js';

// Short labels: five steps share one card's width on a phone.
const STEPS = [
  ['requested', 'Requested'],
  ['ordered', 'Ordered'],
  ['production', 'Producing'],
  ['arrived', 'Arrived'],
  ['restocked', 'Restocked'],
];

const OPEN_STATUSES = new Set(['requested', 'ordering', 'unconfirmed', 'ordered']);

/** What the ordered step says while the factory has not confirmed the order. */
const ORDER_DETAIL = {
  ordering: 'sending…',
  unconfirmed: 'unconfirmed: sent, no answer; awaiting callback',
};

const productCards = new Map();

function productCard(product) {
  const titleId = `product-${product.sku}`;
  const steps = h('ol', { class: 'steps', 'aria-label': `Replenishment steps for ${product.name}` });
  // Ordered at the factory, then its stages (start … done), arrival at the warehouse, stock raised.
  const stepItems = new Map();
  for (const [key, label] of STEPS) {
    const when = h('span', { class: 'when' });
    const detail = h('span', { class: 'detail' });
    const item = h('li', { dataset: { step: key, state: 'pending' } }, label, detail, when);
    stepItems.set(key, { item, when, detail });
    steps.append(item);
  }
  const fill = h('span', { class: 'stock-fill' });
  const mark = h('span', { class: 'reorder-mark', title: 'reorder point' });
  const bar = h('div', { class: 'stock-bar', role: 'meter', 'aria-valuemin': 0 }, fill, mark);
  const stockText = h('p', { class: 'stock-text' });
  const replenishmentHead = h('p', { class: 'replenishment-head' });
  const replenishment = h('div', { class: 'replenishment', hidden: true }, replenishmentHead, steps);
  const quantity = h('input', {
    type: 'number',
    min: 1,
    max: 1000,
    value: 1,
    id: `qty-${product.sku}`,
    name: 'quantity',
    required: true,
  });
  const output = h('output', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Buy');
  const form = h(
    'form',
    { class: 'buy', 'aria-label': `Buy ${product.name}` },
    h('label', { for: quantity.id }, 'Quantity'),
    quantity,
    button,
    output,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const answer = await checkout(product.sku, Number(quantity.value), customerId());
      output.value =
        answer.status === 201
          ? `Bought — ${answer.body.remaining} left`
          : answer.status === 409
            ? `Sold out (${answer.body.available} left)`
            : (answer.body.error?.message ?? `failed (${answer.status})`);
    } catch {
      output.value = 'network error';
    } finally {
      button.disabled = false;
    }
  });
  const heading = h('h3', { id: titleId }, h('span', { class: 'name' }), h('small', { text: product.sku }));
  const price = h('p', { class: 'stock-text price' });
  const element = h(
    'article',
    { class: 'product', 'aria-labelledby': titleId, dataset: { sku: product.sku } },
    heading,
    price,
    bar,
    stockText,
    replenishment,
    form,
  );
  return { element, heading, price, bar, fill, mark, stockText, replenishment, replenishmentHead, stepItems };
}

function stepStates(r) {
  const completed = r.status === 'completed';
  const arrived = completed || Boolean(r.factory?.arrivedAt);
  const produced = arrived || r.factory?.stage === 'done';
  // Unconfirmed: sent, but the factory never said it took the order; only its callback will tell.
  const ordered = r.status === 'ordered' || (r.status === 'timed_out' && Boolean(r.orderedAt)) || produced;
  const done = { requested: true, ordered, production: produced, arrived, restocked: completed };
  const states = {};
  let currentGiven = completed;
  for (const [key] of STEPS) {
    if (done[key]) states[key] = 'done';
    else if (!currentGiven) {
      states[key] = 'current';
      currentGiven = true;
    } else states[key] = 'pending';
  }
  return states;
}

/** A rough span of time for a projection: seconds, minutes, hours or days. */
function roughly(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** When the shelf empties at the measured demand, as the planning job sees it. */
function stockOutText(product, at) {
  const { demandPerSecond, projectedStockOutAt } = product.planning;
  if (product.stock === 0) return 'sold out';
  if (!projectedStockOutAt) return 'no demand measured';
  const pace = demandPerSecond >= 10 ? Math.round(demandPerSecond) : demandPerSecond.toPrecision(2);
  return `empty in ~${roughly(Date.parse(projectedStockOutAt) - Date.parse(at))} at ${pace}/s`;
}

function updateProduct(card, product, at) {
  card.heading.querySelector('.name').textContent = product.name;
  card.price.textContent = moneyFormat.format(product.price);
  // The reorder point and order in force: an adaptive product's planned ones, else the operator's.
  const point = product.planning.effectiveReorderPoint;
  const quantity = product.planning.orderQuantity;
  const adaptive = product.reorderPolicy === 'adaptive';
  const pointName = adaptive ? 'planned reorder point' : 'reorder point';
  const scale = Math.max(product.stock, point + quantity, 1);
  card.fill.style.width = `${(100 * product.stock) / scale}%`;
  card.mark.style.left = `${(100 * point) / scale}%`;
  card.mark.title = `${pointName} ${point}`;
  card.mark.dataset.policy = product.reorderPolicy;
  card.bar.setAttribute('aria-valuemax', String(scale));
  card.bar.setAttribute('aria-valuenow', String(product.stock));
  card.bar.setAttribute('aria-label', `Stock of ${product.name}`);
  card.bar.setAttribute('aria-valuetext', `${product.stock} in stock, ${pointName} ${point}`);
  card.stockText.replaceChildren(
    h('strong', { class: 'stock-count', text: String(product.stock) }),
    ` in stock · reorder at `,
    h('span', { class: 'reorder-point', text: String(point) }),
    ` (+${quantity})${adaptive ? ' planned' : ''} · `,
    h('span', { class: 'stock-out', text: stockOutText(product, at) }),
  );
  card.element.dataset.low = String(product.stock <= point);
  card.element.dataset.empty = String(product.stock === 0);

  const r = product.replenishment;
  card.replenishment.hidden = !r;
  if (!r) return;
  const open = OPEN_STATUSES.has(r.status);
  card.replenishment.dataset.status = r.status;
  card.replenishment.dataset.id = r.id;
  const heading = open
    ? `Replenishment of ${r.quantity} open for ${since(r.requestedAt, at)}`
    : r.status === 'completed'
      ? `Last replenishment: ${r.quantity} restocked in ${since(r.requestedAt, r.completedAt)}, ${since(r.completedAt, at)} ago`
      : `Replenishment of ${r.quantity} timed out; re-ordered`;
  card.replenishmentHead.textContent = heading;
  const states = stepStates(r);
  const times = {
    requested: r.requestedAt,
    ordered: r.orderedAt,
    arrived: r.factory?.arrivedAt ?? null,
    restocked: r.completedAt,
  };
  for (const [key, { item, when, detail }] of card.stepItems) {
    item.dataset.state = states[key];
    const time = times[key];
    when.textContent = time ? (key === 'requested' ? clock(time) : `+${since(r.requestedAt, time)}`) : '';
    if (key === 'ordered') detail.textContent = states.ordered === 'done' ? '' : (ORDER_DETAIL[r.status] ?? '');
    if (key === 'production') {
      detail.textContent =
        r.factory && states.production !== 'done' && r.factory.stageIndex >= 0
          ? `${r.factory.stage} ${r.factory.stageIndex + 1}/${r.factory.stages}`
          : '';
    }
  }
}

const lastReplenishment = new Map();

export function renderProducts(snapshot) {
  const container = $('#products');
  const seen = new Set();
  for (const product of snapshot.products) {
    seen.add(product.sku);
    let card = productCards.get(product.sku);
    if (!card) {
      card = productCard(product);
      productCards.set(product.sku, card);
      container.append(card.element);
    }
    updateProduct(card, product, snapshot.at);
    const r = product.replenishment;
    const key = r ? `${r.id}:${r.status}` : '';
    const before = lastReplenishment.get(product.sku);
    if (before !== undefined && before !== key && r) {
      if (r.status === 'requested') announce(`${product.name} is low: replenishment of ${r.quantity} requested.`);
      if (r.status === 'completed') announce(`${product.name} restocked: ${product.stock} in stock.`);
    }
    lastReplenishment.set(product.sku, key);
  }
  for (const [sku, card] of productCards) {
    if (!seen.has(sku)) {
      card.element.remove();
      productCards.delete(sku);
    }
  }
  $('#no-products').hidden = snapshot.products.length > 0;

  // The flash-sale picker follows the product list without losing the choice.
  const select = $('#flash-sku');
  const options = snapshot.products.map((p) => p.sku).join('\n');
  if (select.dataset.options !== options) {
    const chosen = select.value;
    select.replaceChildren(...snapshot.products.map((p) => h('option', { value: p.sku }, `${p.name} (${p.sku})`)));
    if (snapshot.products.some((p) => p.sku === chosen)) select.value = chosen;
    select.dataset.options = options;
  }
}
