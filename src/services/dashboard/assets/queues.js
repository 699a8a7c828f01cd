// The queues panel: depths and dead letters per queue, with redrive and purge behind the admin token.

import { $, clock, h } from './dom.js';

const TOKEN_KEY = 'donut-admin-token';

const queueRows = new Map();

function adminToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setUpToken() {
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

export function renderQueues(snapshot) {
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
