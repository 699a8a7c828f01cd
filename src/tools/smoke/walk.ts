// Over 300 lines on purpose: the walk's steps, in the order they run, read top to bottom as one story.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type Answer, Api, describeAnswer, UnreachableError } from './http.ts';

export interface SmokeOptions {
  /** The deployment's base URL: `http://localhost:3000`, or the stack's ApiUrl output on AWS. */
  readonly url: string;
  /** The admin token (ADMIN_TOKEN locally, the admin-token secret on AWS). */
  readonly token: string;
  /** The deployment's factory is the simulator, which delivers within a minute: its callback is awaited. */
  readonly simulatorFactory: boolean;
  /** Deadline of one HTTP request. */
  readonly requestTimeoutMs: number;
  /** Deadline of each wait for what travels through the queues: the factory order, mails, the callback. */
  readonly waitMs: number;
  /** The factoryId of the product the walk creates, so the factory can tell its orders apart. */
  readonly factoryId: string;
  /** Receives one line per step as it ends, and the waits as they start. */
  readonly progress: (line: string) => void;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface StepResult {
  readonly name: string;
  readonly outcome: Outcome;
  readonly ms: number;
  readonly detail: string;
}

export interface SmokeReport {
  readonly url: string;
  readonly steps: readonly StepResult[];
  /** What the walk created and the API cannot remove, in words. */
  readonly leftBehind: readonly string[];
  readonly passed: boolean;
}

/** The steps, in order; a step runs only when the steps it needs passed. */
export const STEPS = [
  'health',
  'admin token',
  'product',
  'checkout',
  'idempotent replay',
  'key reused',
  'stock-out',
  'replenishment opened',
  'factory order',
  'pause mail',
  'customer counted',
  'factory callback',
  'ops queues',
  'dead-letter queues',
  'clean up',
] as const;
type StepName = (typeof STEPS)[number];

/** A check that did not hold: the step fails with this message and the walk goes on. */
class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

/** Nothing after this can tell anything (no answer, or no admin access): the remaining steps are skipped. */
class WalkAborted extends Error {
  override readonly name = 'WalkAborted';
}

/** Thrown by a step that does not apply to this deployment: recorded as skipped, with the reason. */
class SkipStep extends Error {
  override readonly name = 'SkipStep';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

function expectStatus(answer: Answer, status: number, what: string): void {
  check(answer.status === status, `${what} answered ${describeAnswer(answer)}; expected ${status}`);
}

const OPEN_STATUSES = ['requested', 'ordering', 'unconfirmed', 'ordered'];

/** The product the walk sells: three in stock, a reorder at one left, the smallest factory order. */
const PRODUCT = { name: 'Smoke test donut', price: 0.01, stock: 3, reorderPoint: 1, reorderQuantity: 1 } as const;

/**
 * Walks a deployment through its public HTTP API only (CONTRACT.md), as a customer, the admin and the
 * factory would see it. Every step is checked against the contract; a failed check fails its step and
 * the walk goes on with the steps that do not need it. Never throws: an unreachable API or a refused
 * token ends the walk with the remaining steps skipped.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const api = new Api(options.url, options.token, options.requestTimeoutMs);
  const run = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const sku = `SMOKE-${run}`;
  const customerId = `smoke-${run}`;
  const results = new Map<StepName, StepResult>();
  let aborted: string | undefined;

  const step = async (name: StepName, needs: readonly StepName[], body: () => Promise<string>): Promise<void> => {
    const started = performance.now();
    const finish = (outcome: Outcome, detail: string) => {
      const result = { name, outcome, ms: Math.round(performance.now() - started), detail };
      results.set(name, result);
      options.progress(progressLine(STEPS.indexOf(name) + 1, result));
    };
    if (aborted) return finish('skip', `not run: ${aborted}`);
    const missing = needs.filter((need) => results.get(need)?.outcome !== 'pass');
    if (missing.length > 0) return finish('skip', `not run: needs ${missing.join(', ')}`);
    try {
      finish('pass', await body());
    } catch (error) {
      if (error instanceof UnreachableError) {
        aborted = 'the API stopped answering';
        finish('fail', `${error.message}`);
      } else if (error instanceof WalkAborted) {
        aborted = error.message;
        finish('fail', error.message);
      } else if (error instanceof SkipStep) {
        finish('skip', error.message);
      } else if (error instanceof CheckFailed) {
        finish('fail', error.message);
      } else {
        finish('fail', `unexpected: ${(error as Error).stack ?? String(error)}`);
      }
    }
  };

  /** Polls `probe` until it returns a value, backing off to 2 s between calls, for at most `waitMs`. */
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + options.waitMs;
    let pause = 250;
    for (let attempt = 0; ; attempt++) {
      const value = await probe();
      if (value !== undefined) return value;
      if (attempt === 0)
        options.progress(`        … waiting for ${what} (up to ${Math.round(options.waitMs / 1000)} s)`);
      if (Date.now() + pause > deadline) throw new CheckFailed(`${what}: not seen within ${options.waitMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 1.5, 2000);
    }
  };

  const readProduct = async (): Promise<any> => {
    const answer = await api.call(`/products/${sku}`);
    expectStatus(answer, 200, `GET /products/${sku}`);
    return answer.json;
  };

  const checkoutKey = `smoke-${run}-1`;
  const firstBody = { sku, quantity: 1, customerId };
  let first: Answer | undefined;
  const orders: { id: string; quantity: number }[] = [];
  let replenishmentId: string | undefined;
  let productCreated = false;
  let delivered = false;

  await step('health', [], async () => {
    let answer: Answer;
    try {
      answer = await api.call('/health');
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      throw new UnreachableError(
        `cannot reach ${api.base}: ${error.message.replace(/^GET \S+: /, '')}. Is the system running, and is --url ` +
          "its base URL (on AWS: the stack's ApiUrl output)?",
      );
    }
    if (answer.status === 503) {
      const failing = Array.isArray(answer.json?.failing) ? answer.json.failing.join(', ') : describeAnswer(answer);
      throw new CheckFailed(`503: failing ${failing}`);
    }
    check(
      answer.status === 200 && answer.json !== undefined,
      `GET /health answered ${describeAnswer(answer)}: is --url the base URL of a Donut-States API?`,
    );
    const advisory = Object.entries((answer.json.advisory ?? {}) as Record<string, { ok?: boolean }>)
      .filter(([, result]) => result?.ok === false)
      .map(([name]) => name);
    return advisory.length > 0
      ? `every component answers; not answering (allowed): ${advisory.join(', ')}`
      : 'every component answers';
  });

  await step('admin token', [], async () => {
    const admitted = await api.call('/ops/queues', { admin: true });
    if (admitted.status === 401 || admitted.status === 403) {
      throw new WalkAborted(
        `the admin token was refused (${admitted.status}): give the ADMIN_TOKEN the system printed at start ` +
          '(or set in its environment), or on AWS the value of the secret named by the AdminTokenSecretArn output',
      );
    }
    if (admitted.status !== 200) {
      throw new WalkAborted(
        `GET /ops/queues answered ${describeAnswer(admitted)}: is --url the base URL of a Donut-States API?`,
      );
    }
    const anonymous = await api.call('/ops/queues');
    check(anonymous.status === 401, `without a token GET /ops/queues answered ${describeAnswer(anonymous)}, not 401`);
    check(anonymous.json?.error?.code, `the 401 has not the contract's error shape: ${describeAnswer(anonymous)}`);
    return 'accepted; refused without it (401)';
  });

  await step('product', ['admin token'], async () => {
    const body = { ...PRODUCT, factoryId: options.factoryId };
    const put = await api.call(`/products/${sku}`, { method: 'PUT', json: body, admin: true });
    expectStatus(put, 201, `PUT /products/${sku}`);
    productCreated = true;
    check(
      isDeepStrictEqual({ ...pick(put.json, Object.keys(body)), sku: put.json.sku }, { ...body, sku }),
      `PUT answered another product: ${put.text.slice(0, 200)}`,
    );
    check(put.json.replenishment === null, `a new product has replenishment ${JSON.stringify(put.json.replenishment)}`);
    const read = await readProduct();
    check(read.stock === PRODUCT.stock, `GET /products/${sku} shows stock ${read.stock}, not ${PRODUCT.stock}`);
    return `${sku}: stock ${PRODUCT.stock}, reorder point ${PRODUCT.reorderPoint}`;
  });

  await step('checkout', ['product'], async () => {
    first = await api.call('/checkout', { json: firstBody, headers: { 'Idempotency-Key': checkoutKey } });
    expectStatus(first, 201, 'POST /checkout');
    const order = first.json?.order;
    check(typeof order?.id === 'string', `no order id in ${first.text.slice(0, 200)}`);
    orders.push({ id: order.id, quantity: 1 });
    check(
      order.sku === sku &&
        order.quantity === 1 &&
        order.customerId === customerId &&
        typeof order.createdAt === 'string',
      `the order is not the one asked for: ${JSON.stringify(order)}`,
    );
    check(first.json.remaining === 2, `remaining ${first.json.remaining}, expected 2`);
    return `order ${order.id}, 2 left`;
  });

  await step('idempotent replay', ['checkout'], async () => {
    const again = await api.call('/checkout', { json: firstBody, headers: { 'Idempotency-Key': checkoutKey } });
    expectStatus(again, 201, 'the same checkout with the same Idempotency-Key');
    check(
      isDeepStrictEqual(again.json, first!.json),
      `another answer: ${again.text.slice(0, 200)} instead of ${first!.text.slice(0, 200)}`,
    );
    const product = await readProduct();
    check(product.stock === 2, `stock is ${product.stock} after the replay, expected 2: a second order was placed`);
    return 'the first answer again; stock unchanged';
  });

  await step('key reused', ['checkout'], async () => {
    const other = await api.call('/checkout', {
      json: { ...firstBody, quantity: 2 },
      headers: { 'Idempotency-Key': checkoutKey },
    });
    expectStatus(other, 422, 'the same Idempotency-Key with another body');
    check(other.json?.error?.code === 'idempotency_key_reused', `error ${describeAnswer(other)}`);
    const product = await readProduct();
    check(product.stock === 2, `stock is ${product.stock} after a refused checkout, expected 2`);
    return '422 idempotency_key_reused; stock unchanged';
  });

  await step('stock-out', ['checkout'], async () => {
    const refused = await api.call('/checkout', { json: { sku, quantity: 3, customerId } });
    expectStatus(refused, 409, 'a checkout of 3 with 2 in stock');
    const body = refused.json;
    check(
      body?.error?.code === 'out_of_stock' && typeof body.error.message === 'string',
      `not the out_of_stock error: ${describeAnswer(refused)}`,
    );
    check(body.available === 2, `available ${body.available}, expected 2`);
    // Two left is above the reorder point of one: a refused checkout there opens nothing.
    check(body.replenishment === null, `replenishment ${JSON.stringify(body.replenishment)}, expected null`);
    const product = await readProduct();
    check(product.stock === 2 && product.replenishment === null, `after the 409: ${JSON.stringify(product)}`);
    return '409 out_of_stock, available 2, nothing sold or opened';
  });

  await step('replenishment opened', ['checkout'], async () => {
    const sale = await api.call('/checkout', {
      json: firstBody,
      headers: { 'Idempotency-Key': `smoke-${run}-2` },
    });
    expectStatus(sale, 201, 'POST /checkout of the second-last donut');
    orders.push({ id: sale.json.order.id, quantity: 1 });
    check(sale.json.remaining === 1, `remaining ${sale.json.remaining}, expected 1`);
    const product = await readProduct();
    const open = product.replenishment;
    check(open !== null && typeof open === 'object', `GET /products/${sku} shows no replenishment at stock 1`);
    check(OPEN_STATUSES.includes(open.status), `replenishment status ${open.status}`);
    check(open.quantity === PRODUCT.reorderQuantity, `replenishment of ${open.quantity}`);
    check(typeof open.id === 'string' && typeof open.requestedAt === 'string', `replenishment ${JSON.stringify(open)}`);
    replenishmentId = open.id;
    return `replenishment ${open.id}: ${open.quantity} unit, ${open.status}`;
  });

  await step('factory order', ['replenishment opened'], async () => {
    const seen = await waitFor('the factory to accept the order', async () => {
      const product = await readProduct();
      const open = product.replenishment;
      if (open?.id === replenishmentId) {
        if (open.status === 'unconfirmed') {
          throw new CheckFailed('the factory did not answer the order in time (status unconfirmed)');
        }
        return open.status === 'ordered' ? 'ordered: the factory accepted it' : undefined;
      }
      // Closed already: only a delivery closes it this early.
      delivered = product.stock >= 1 + PRODUCT.reorderQuantity;
      return delivered ? 'ordered and delivered already' : undefined;
    });
    return seen;
  });

  await step('pause mail', ['replenishment opened'], async () => {
    const mail = await waitFor('the pause-ads mail', () => findMail(api, replenishmentId!, 'pause_ads'));
    return `to ${mail.to}: ${mail.subject}`;
  });

  await step('customer counted', ['checkout'], async () => {
    const expected = orders.reduce((sum, order) => sum + order.quantity, 0);
    const customer = await waitFor(`customer ${customerId} to count ${expected}`, async () => {
      const answer = await api.call(`/customers/${encodeURIComponent(customerId)}`);
      if (answer.status === 404) return undefined;
      expectStatus(answer, 200, `GET /customers/${customerId}`);
      return answer.json.purchasedQuantity >= expected ? answer.json : undefined;
    });
    check(
      customer.purchasedQuantity === expected,
      `purchasedQuantity ${customer.purchasedQuantity}, expected ${expected}`,
    );
    return `purchasedQuantity ${expected}, ${customer.tier}`;
  });

  await step('factory callback', ['factory order'], async () => {
    if (!options.simulatorFactory) {
      throw new SkipStep(
        'the factory delivers on its own schedule; give --factory simulator when the deployment uses the simulator',
      );
    }
    const expected = 1 + PRODUCT.reorderQuantity;
    const product = await waitFor('the factory callback to restock', async () => {
      const read = await readProduct();
      return read.replenishment?.id !== replenishmentId && read.stock !== 1 ? read : undefined;
    });
    delivered = true;
    check(product.stock === expected, `stock ${product.stock} after the delivery, expected ${expected}`);
    const resume = await waitFor('the resume-ads mail', () => findMail(api, replenishmentId!, 'resume_ads'));
    // Once the resume mail is out the callback has been processed; stock still as after one delivery.
    const later = await readProduct();
    check(later.stock === expected, `stock ${later.stock} after the resume mail: the delivery was applied again`);
    const resumes = (await listMails(api)).filter(
      (m) => m.replenishmentId === replenishmentId && m.kind === 'resume_ads',
    );
    check(resumes.length === 1, `${resumes.length} resume mails for one delivery`);
    return `stock 1 → ${expected} once; resume mail to ${resume.to}`;
  });

  let queueNames: string[] = [];
  await step('ops queues', ['admin token'], async () => {
    const answer = await api.call('/ops/queues', { admin: true });
    expectStatus(answer, 200, 'GET /ops/queues');
    const queues = answer.json?.queues;
    check(Array.isArray(queues) && queues.length > 0, `no queues listed: ${answer.text.slice(0, 200)}`);
    for (const q of queues) {
      check(
        typeof q.name === 'string' &&
          typeof q.messages === 'number' &&
          typeof q.inFlight === 'number' &&
          typeof q.deadLetter?.name === 'string' &&
          typeof q.deadLetter?.messages === 'number',
        `a queue without the contract's fields: ${JSON.stringify(q)}`,
      );
    }
    queueNames = queues.map((q: { name: string }) => q.name);
    const waiting = queues.reduce((sum: number, q: { messages: number }) => sum + q.messages, 0);
    const inFlight = queues.reduce((sum: number, q: { inFlight: number }) => sum + q.inFlight, 0);
    return `${queues.length} queues, ${waiting} waiting, ${inFlight} in flight`;
  });

  await step('dead-letter queues', ['ops queues'], async () => {
    const waiting: string[] = [];
    for (const name of queueNames) {
      const answer = await api.call(`/ops/dlq/${encodeURIComponent(name)}`, { admin: true });
      expectStatus(answer, 200, `GET /ops/dlq/${name}`);
      check(
        answer.json?.queue === name && Array.isArray(answer.json.messages),
        `GET /ops/dlq/${name}: ${answer.text.slice(0, 200)}`,
      );
      for (const m of answer.json.messages) {
        check(
          typeof m.id === 'string' && 'body' in m && typeof m.receiveCount === 'number' && typeof m.sentAt === 'string',
          `a dead letter without the contract's fields: ${JSON.stringify(m).slice(0, 200)}`,
        );
      }
      if (answer.json.messages.length > 0) waiting.push(`${name} ${answer.json.messages.length}`);
    }
    return waiting.length === 0
      ? `${queueNames.length} listed, all empty`
      : `${queueNames.length} listed; dead letters waiting: ${waiting.join(', ')} (see GET /ops/dlq/<queue>)`;
  });

  await step('clean up', ['product'], async () => {
    const before = (await readProduct()).stock as number;
    for (const order of orders) {
      const answer = await api.call(`/orders/${order.id}/cancel`, { method: 'POST', admin: true });
      expectStatus(answer, 200, `POST /orders/${order.id}/cancel`);
      check(answer.json?.order?.status === 'cancelled', `order ${order.id} is ${answer.json?.order?.status}`);
    }
    const returned = orders.reduce((sum, order) => sum + order.quantity, 0);
    const after = (await readProduct()).stock as number;
    check(after === before + returned, `stock ${after} after cancelling, expected ${before + returned}`);
    return `${orders.length} orders cancelled, their ${returned} donuts back in stock`;
  });

  const leftBehind: string[] = [];
  if (productCreated) {
    leftBehind.push(`product ${sku} (the API deletes no product)`);
    if (orders.length > 0) {
      leftBehind.push(
        `orders ${orders.map((o) => o.id).join(', ')}: cancelled, not deleted; customer ${customerId} stays (the cancellations take its count back to 0)`,
      );
    }
    if (replenishmentId) {
      leftBehind.push(`the ads mails of replenishment ${replenishmentId}, sent to the ad manager`);
      if (!delivered) {
        leftBehind.push(
          `replenishment ${replenishmentId}: ${PRODUCT.reorderQuantity} unit ordered from factory "${options.factoryId}"; ` +
            `when it delivers, ${sku} gets its stock and a resume-ads mail goes out`,
        );
      }
    }
  }
  const steps = STEPS.map((name) => results.get(name)!);
  return { url: api.base, steps, leftBehind, passed: steps.every((s) => s.outcome !== 'fail') };
}

interface Mail {
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly replenishmentId: string;
}

async function listMails(api: Api): Promise<Mail[]> {
  const answer = await api.call('/ops/notifications', { admin: true });
  expectStatus(answer, 200, 'GET /ops/notifications');
  check(Array.isArray(answer.json?.notifications), `GET /ops/notifications: ${answer.text.slice(0, 200)}`);
  return answer.json.notifications;
}

async function findMail(api: Api, replenishmentId: string, kind: string): Promise<Mail | undefined> {
  return (await listMails(api)).find((m) => m.replenishmentId === replenishmentId && m.kind === kind);
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value?.[key]]));
}

function progressLine(index: number, result: StepResult): string {
  const label = `[${String(index).padStart(2)}/${STEPS.length}] ${result.name}`;
  return `${label.padEnd(30, ' ')} ${result.outcome.toUpperCase().padEnd(4)} ${`${result.ms} ms`.padStart(8)}  ${result.detail}`;
}
