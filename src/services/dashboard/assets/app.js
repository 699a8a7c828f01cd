// The live dashboard: one EventSource, a snapshot about once a second, and keyed DOM updates so focus
// and keyboard position survive every refresh. Plain ES module, no build step.

const TOKEN_KEY = 'donut-admin-token';
const CUSTOMER_KEY = 'donut-customer-id';
const FLASH_MAX = 50;
const FLASH_PARALLEL = 8;

const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element: h('li', {class: 'x', dataset: {kind: 'a'}}, 'text', child). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((c) => c !== undefined && c !== null));
  return element;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
const clock = (iso) => timeFormat.format(new Date(iso));
const seconds = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const since = (fromIso, toIso) => seconds(Math.max(0, Date.parse(toIso) - Date.parse(fromIso)));

function announce(message) {
  const announcer = $('#announcer');
  announcer.textContent = '';
  // A fresh text node after a tick makes screen readers speak repeated messages too.
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

// ------------------------------------------------------------------------------------------ identity

function customerId() {
  const input = $('#customer-id');
  return input.value.trim() || input.placeholder;
}

function setUpIdentity() {
  const input = $('#customer-id');
  const saved = sessionStorage.getItem(CUSTOMER_KEY);
  input.value = saved ?? `visitor-${Math.random().toString(36).slice(2, 7)}`;
  input.placeholder = input.value;
  input.addEventListener('change', () => sessionStorage.setItem(CUSTOMER_KEY, customerId()));
  $('#identity').addEventListener('submit', (event) => event.preventDefault());
}

async function checkout(sku, quantity, customer) {
  const response = await fetch('/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ sku, quantity, customerId: customer }),
  });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

// ------------------------------------------------------------------------------------------ products

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

function updateProduct(card, product, at) {
  card.heading.querySelector('.name').textContent = product.name;
  card.price.textContent = moneyFormat.format(product.price);
  const scale = Math.max(product.stock, product.reorderPoint + product.reorderQuantity, 1);
  card.fill.style.width = `${(100 * product.stock) / scale}%`;
  card.mark.style.left = `${(100 * product.reorderPoint) / scale}%`;
  card.bar.setAttribute('aria-valuemax', String(scale));
  card.bar.setAttribute('aria-valuenow', String(product.stock));
  card.bar.setAttribute('aria-label', `Stock of ${product.name}`);
  card.bar.setAttribute('aria-valuetext', `${product.stock} in stock, reorder point ${product.reorderPoint}`);
  card.stockText.replaceChildren(
    h('strong', { class: 'stock-count', text: String(product.stock) }),
    ` in stock · reorder at ${product.reorderPoint} (+${product.reorderQuantity})`,
  );
  card.element.dataset.low = String(product.stock <= product.reorderPoint);
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

function renderProducts(snapshot) {
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

// -------------------------------------------------------------------------------------------- queues

const queueRows = new Map();

function adminToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function setUpToken() {
  const input = $('#admin-token');
  input.value = adminToken();
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    $('#queue-status').textContent = input.value.trim() ? 'Token kept for this tab.' : 'No token.';
  });
  $('#token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    input.value = '';
    $('#queue-status').textContent = 'Token forgotten.';
  });
}

async function adminCall(method, path) {
  const token = adminToken();
  const status = $('#queue-status');
  if (!token) {
    status.textContent = 'Enter the admin token first (printed by npm start).';
    $('#admin-token').focus();
    return null;
  }
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    status.textContent = 'The admin token was refused.';
    $('#admin-token').focus();
    return null;
  }
  if (!response.ok) {
    status.textContent = body.error?.message ?? `Failed (${response.status}).`;
    return null;
  }
  return body;
}

function queueRow(queue) {
  const name = queue.name;
  const cells = {
    waiting: h('td', { class: 'num' }),
    inFlight: h('td', { class: 'num' }),
    dead: h('td', { class: 'num dead' }),
  };
  const show = h('button', { type: 'button', 'aria-label': `Show dead letters of ${name}` }, 'Show');
  const redrive = h('button', { type: 'button', 'aria-label': `Redrive dead letters of ${name}` }, 'Redrive');
  const purge = h(
    'button',
    { type: 'button', class: 'danger', 'aria-label': `Purge dead letters of ${name}` },
    'Purge',
  );
  show.addEventListener('click', async () => {
    const body = await adminCall('GET', `/ops/dlq/${encodeURIComponent(name)}`);
    if (!body) return;
    $('#dlq-view').hidden = false;
    $('#dlq-view-title').textContent = `Dead letters of ${name} (${body.messages.length})`;
    $('#dlq-messages').replaceChildren(
      ...body.messages.map((m) =>
        h(
          'li',
          {},
          h('time', { datetime: m.sentAt, text: clock(m.sentAt) }),
          ` received ${m.receiveCount}× `,
          h('code', { text: m.body.slice(0, 300) }),
        ),
      ),
    );
    $('#queue-status').textContent = `${body.messages.length} dead letters in ${name}.`;
  });
  redrive.addEventListener('click', async () => {
    const body = await adminCall('POST', `/ops/dlq/${encodeURIComponent(name)}/redrive`);
    if (body) $('#queue-status').textContent = `Moved ${body.moved} messages back to ${name}.`;
  });
  purge.addEventListener('click', async () => {
    if (!confirm(`Drop every dead letter of ${name}? They cannot be recovered.`)) return;
    const body = await adminCall('DELETE', `/ops/dlq/${encodeURIComponent(name)}`);
    if (body) $('#queue-status').textContent = `Purged ${body.purged} messages from ${name}-dlq.`;
  });
  const element = h(
    'tr',
    { dataset: { queue: name } },
    h('th', { scope: 'row', text: name }),
    cells.waiting,
    cells.inFlight,
    cells.dead,
    h('td', {}, h('div', { class: 'actions' }, show, redrive, purge)),
  );
  return { element, cells };
}

function renderQueues(snapshot) {
  const body = $('#queues tbody');
  for (const queue of snapshot.queues) {
    let row = queueRows.get(queue.name);
    if (!row) {
      row = queueRow(queue);
      queueRows.set(queue.name, row);
      body.append(row.element);
    }
    row.cells.waiting.textContent = String(queue.messages);
    row.cells.inFlight.textContent = String(queue.inFlight);
    row.cells.dead.textContent = String(queue.deadLetter.messages);
    row.element.dataset.dead = String(queue.deadLetter.messages > 0);
  }
}

// ------------------------------------------------------------------------------------ lists and feed

/** Re-renders a list only when its content changed, so nothing flickers once a second. */
function renderList(element, key, items) {
  if (element.dataset.key === key) return false;
  element.dataset.key = key;
  element.replaceChildren(...items);
  return true;
}

let knownMails;

function renderMails(snapshot) {
  const list = $('#mails');
  const key = snapshot.mails.map((m) => `${m.kind}${m.sentAt}`).join('|');
  renderList(
    list,
    key,
    snapshot.mails.map((mail) =>
      h(
        'li',
        { dataset: { kind: mail.kind, sku: mail.sku } },
        h('span', {
          class: 'mail-kind',
          dataset: { kind: mail.kind },
          text: mail.kind === 'pause_ads' ? 'pause' : 'resume',
        }),
        h('span', { class: 'subject', text: mail.subject }),
        h('time', { datetime: mail.sentAt, text: clock(mail.sentAt) }),
      ),
    ),
  );
  $('#no-mails').hidden = snapshot.mails.length > 0;
  const keys = new Set(snapshot.mails.map((m) => `${m.kind}${m.sentAt}${m.sku}`));
  if (knownMails) {
    const fresh = snapshot.mails.find((m) => !knownMails.has(`${m.kind}${m.sentAt}${m.sku}`));
    if (fresh) announce(`Mail to the ad manager: ${fresh.subject}`);
  }
  knownMails = keys;
}

function renderOrders(snapshot) {
  const body = $('#orders tbody');
  renderList(
    body,
    snapshot.orders.map((o) => o.id).join(','),
    snapshot.orders.map((o) =>
      h(
        'tr',
        {},
        h('td', {}, h('time', { datetime: o.createdAt, text: clock(o.createdAt) })),
        h('td', {}, h('code', { text: o.id })),
        h('td', { text: o.sku }),
        h('td', { class: 'num', text: String(o.quantity) }),
        h('td', { text: o.customer }),
      ),
    ),
  );
}

function renderCustomers(snapshot) {
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

function renderSparkline(snapshot) {
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

// ------------------------------------------------------------------------------------------- diagram

let diagramLoaded = false;

async function loadDiagram() {
  const response = await fetch('/dashboard/assets/architecture.svg');
  // Same origin, generated from the topology: safe to inline, so its labels can be updated.
  $('#diagram').innerHTML = await response.text();
  diagramLoaded = true;
}

function liveLabel(id, snapshot, events) {
  const [kind, name] = id.split(/:(.*)/s);
  const queue = snapshot.queues.find((q) => q.name === name);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  switch (kind) {
    case 'http':
      return name === 'sales' ? plural(snapshot.flow.checkouts.placed ?? 0, 'order') : '';
    case 'publish':
      return plural(
        events.reduce((sum, type) => sum + (snapshot.flow.published[type] ?? 0), 0),
        'event',
      );
    case 'sub':
    case 'send':
      return queue ? `${queue.messages} waiting${queue.inFlight ? `, ${queue.inFlight} in flight` : ''}` : '';
    case 'consume': {
      const c = snapshot.flow.consumed[name] ?? { succeeded: 0, failed: 0 };
      return `${c.succeeded} done${c.failed ? `, ${c.failed} failed` : ''}`;
    }
    case 'dlq':
      return queue ? `${queue.deadLetter.messages} dead` : '';
    default:
      return '';
  }
}

function renderDiagram(snapshot) {
  if (!diagramLoaded) return;
  for (const label of document.querySelectorAll('#diagram [data-live]')) {
    const events = (label.getAttribute('data-events') ?? '').split(' ').filter(Boolean);
    const text = liveLabel(label.getAttribute('data-live'), snapshot, events);
    if (label.textContent !== text) {
      const changed = label.textContent !== '';
      label.textContent = text;
      const edge = label.closest('.edge');
      if (changed && edge) {
        edge.classList.add('pulse');
        setTimeout(() => edge.classList.remove('pulse'), 700);
      }
    }
  }
}

// ----------------------------------------------------------------------------------------- flash sale

function setUpFlashSale() {
  const form = $('#flash-form');
  const status = $('#flash-status');
  const button = $('#flash-start');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sku = $('#flash-sku').value;
    const count = Math.min(FLASH_MAX, Math.max(1, Math.trunc(Number($('#flash-count').value) || 0)));
    if (!sku) return;
    button.disabled = true;
    const results = { placed: 0, soldOut: 0, failed: 0 };
    const shoppers = Array.from({ length: 6 }, (_, i) => `flash-shopper-${i + 1}`);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const shopper = shoppers[Math.floor(Math.random() * shoppers.length)];
        try {
          const answer = await checkout(sku, 1, shopper);
          if (answer.status === 201) results.placed += 1;
          else if (answer.status === 409) results.soldOut += 1;
          else results.failed += 1;
        } catch {
          results.failed += 1;
        }
        status.textContent = `Flash sale: ${results.placed} sold, ${results.soldOut} sold out, ${results.failed} failed of ${count}…`;
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLASH_PARALLEL, count) }, worker));
    status.textContent = `Flash sale done: ${results.placed} sold, ${results.soldOut} found it sold out, ${results.failed} failed.`;
    button.disabled = false;
  });
}

// ---------------------------------------------------------------------------------------------- feed

function render(snapshot) {
  renderProducts(snapshot);
  renderQueues(snapshot);
  renderMails(snapshot);
  renderOrders(snapshot);
  renderCustomers(snapshot);
  renderSparkline(snapshot);
  renderDiagram(snapshot);
  document.body.dataset.snapshotAt = snapshot.at;
}

const POLL_MS = 3000;
const STREAM_RETRY_MS = 10_000;

async function pollSnapshot() {
  try {
    const response = await fetch('/dashboard/snapshot');
    if (response.ok) render(await response.json());
  } catch {
    // The next poll tries again.
  }
}

function connect(retryMs = STREAM_RETRY_MS) {
  const connection = $('#connection');
  const source = new EventSource('/dashboard/events');
  source.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.dataset.state = 'live';
    retryMs = STREAM_RETRY_MS;
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      // A dropped connection: EventSource reconnects by itself.
      connection.textContent = 'reconnecting…';
      connection.dataset.state = 'down';
      return;
    }
    // Refused (429: as many dashboards as allowed are open): poll the snapshot, try the stream later.
    connection.textContent = 'busy: updating every few seconds';
    connection.dataset.state = 'polling';
    void pollSnapshot();
    const poll = setInterval(pollSnapshot, POLL_MS);
    setTimeout(
      () => {
        clearInterval(poll);
        connect(Math.min(retryMs * 2, 120_000));
      },
      retryMs * (0.5 + Math.random()),
    );
  });
  source.addEventListener('snapshot', (event) => {
    try {
      render(JSON.parse(event.data));
    } catch (error) {
      console.error('bad snapshot', error);
    }
  });
}

setUpIdentity();
setUpToken();
setUpFlashSale();
loadDiagram().catch((error) => {
  $('#diagram').textContent = `The diagram could not be loaded (${error.message}).`;
});
connect();
