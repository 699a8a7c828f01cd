// The flash-sale panel: many checkouts at once from a few shoppers, the outcome counted.

import { $ } from './dom.js';
import { checkout } from './identity.js';

const FLASH_MAX = 50;
const FLASH_PARALLEL = 8;

export function setUpFlashSale() {
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
