// Who the visitor buys as (kept for the tab), and the checkout call the products and the flash sale make.

import { $ } from './dom.js';

const CUSTOMER_KEY = 'donut-customer-id';

export function customerId() {
  const input = $('#customer-id');
  return input.value.trim() || input.placeholder;
}

export function setUpIdentity() {
  const input = $('#customer-id');
  const saved = sessionStorage.getItem(CUSTOMER_KEY);
  input.value = saved ?? `visitor-${Math.random().toString(36).slice(2, 7)}`;
  input.placeholder = input.value;
  input.addEventListener('change', () => sessionStorage.setItem(CUSTOMER_KEY, customerId()));
  $('#identity').addEventListener('submit', (event) => event.preventDefault());
}

export async function checkout(sku, quantity, customer) {
  const response = await fetch('/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ sku, quantity, customerId: customer }),
  });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}
