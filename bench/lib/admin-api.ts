import type { ProductInput } from '../../src/contract/http.ts';
import { BENCH_ADMIN_TOKEN } from './system-process.ts';

const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };

/** A new product, through the admin API as a shop would create it. */
export async function createProduct(url: string, sku: string, product: ProductInput): Promise<void> {
  const res = await fetch(`${url}/products/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify(product),
  });
  if (res.status !== 201) throw new Error(`could not create ${sku}: ${res.status} ${await res.text()}`);
}

/** Waits (bounded) until every queue and DLQ is empty and nothing is in flight. */
export async function waitForDrain(url: string, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const res = await fetch(`${url}/ops/queues`, { headers: admin });
    const { queues } = (await res.json()) as { queues: { messages: number; inFlight: number }[] };
    if (queues.every((q) => q.messages === 0 && q.inFlight === 0)) {
      // One more sweep interval so the outbox relay has published what the last consumers wrote.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return;
    }
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
