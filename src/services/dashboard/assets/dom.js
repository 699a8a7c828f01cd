// The small helpers every panel uses: element lookup and creation, time and money formats, the
// screen-reader announcer.

export const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element: h('li', {class: 'x', dataset: {kind: 'a'}}, 'text', child). */
export function h(tag, attributes = {}, ...children) {
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
export const moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
export const clock = (iso) => timeFormat.format(new Date(iso));
const seconds = (ms) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
export const since = (fromIso, toIso) => seconds(Math.max(0, Date.parse(toIso) - Date.parse(fromIso)));

export function announce(message) {
  const announcer = $('#announcer');
  announcer.textContent = '';
  // A fresh text node after a tick makes screen readers speak repeated messages too.
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

/** Re-renders a list only when its content changed, so nothing flickers once a second. */
export function renderList(element, key, items) {
  if (element.dataset.key === key) return false;
  element.dataset.key = key;
  element.replaceChildren(...items);
  return true;
}
