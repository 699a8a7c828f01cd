// The architecture panel: the generated SVG, its edge labels showing live counts.

import { $ } from './dom.js';

let diagramLoaded = false;

export async function loadDiagram() {
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

export function renderDiagram(snapshot) {
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
