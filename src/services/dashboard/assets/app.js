// The live dashboard: one EventSource, a snapshot about once a second, and keyed DOM updates so focus
// and keyboard position survive every refresh. Where the server says no stream can reach the page
// (<meta name="dashboard-feed" content="poll">, e.g. behind API Gateway and Lambda), it polls the
// snapshot instead. Plain ES modules, one per panel, no build step.

import { renderCustomers } from './customers.js';
import { loadDiagram, renderDiagram } from './diagram.js';
import { $ } from './dom.js';
import { setUpFlashSale } from './flash-sale.js';
import { setUpIdentity } from './identity.js';
import { renderMails } from './mails.js';
import { renderOrders } from './orders.js';
import { renderProducts } from './products.js';
import { renderQueues, setUpToken } from './queues.js';
import { renderSparkline } from './sparkline.js';

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

// Polling only: every few seconds while the tab is visible, at once when it becomes visible again.
function pollForever() {
  const connection = $('#connection');
  connection.textContent = 'updating every few seconds';
  connection.dataset.state = 'polling';
  const tick = () => {
    if (document.visibilityState !== 'hidden') void pollSnapshot();
  };
  tick();
  setInterval(tick, POLL_MS);
  document.addEventListener('visibilitychange', tick);
}

setUpIdentity();
setUpToken();
setUpFlashSale();
loadDiagram().catch((error) => {
  $('#diagram').textContent = `The diagram could not be loaded (${error.message}).`;
});
if (document.querySelector('meta[name="dashboard-feed"]')?.content === 'poll') pollForever();
else connect();
