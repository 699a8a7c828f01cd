import type { SQSRecord } from 'aws-lambda';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { parseEvent } from '../../contract/events.ts';
import {
  FACTORY_MESSAGE_GROUP,
  FactoryOrderAnswer,
  type FactoryOrderBody,
  factoryCallWindowMs,
} from '../../contract/factory.ts';
import type { InventoryTables } from '../../databases/inventory/tables.ts';
import { callbackUrl } from './callback-signature.ts';
import { FactoryOrderInFlightError, FactoryUnavailableError } from './errors.ts';

export interface FactoryOrderDeps {
  readonly db: Kysely<InventoryTables>;
  readonly logger: Logger;
  readonly factory: { readonly url: string; readonly timeoutMs: number; readonly requester: string };
  readonly callbacks: { readonly publicUrl: string; readonly secret: string };
}

/**
 * Reacts to `replenishment.requested` by ordering `quantity` from the legacy factory with a signed
 * CallbackUrl and `Idempotency-Key: <replenishment id>`. At most one order per replenishment, whatever
 * the factory does and however often the event arrives:
 * - the replenishment is claimed first (`requested` -> `ordering`, a conditional update), so of concurrent
 *   copies only one calls; a copy finding the call in flight fails and is retried once it has settled;
 * - an order that surely did not reach the factory (connection refused, name not resolved, an error
 *   answer) goes back to `requested` and the record fails: the queue retries, then dead-letters it;
 * - an order that may have reached it (timed out after sending, connection dropped, or a consumer that
 *   died mid-call, seen as a claim older than a whole call) becomes `unconfirmed` and is never sent again:
 *   the callback completes it, or the replenishment timeout (counted from when it was sent) re-orders.
 */
export function placeFactoryOrderWhenReplenishmentRequested(deps: FactoryOrderDeps) {
  const callWindowMs = factoryCallWindowMs(deps.factory.timeoutMs);
  return async (record: SQSRecord): Promise<void> => {
    const event = parseEvent('replenishment.requested', record.body);
    const id = event.data.replenishmentId;
    const log = deps.logger.child({ correlationId: event.correlationId, replenishmentId: id });

    const claim = await deps.db
      .updateTable('replenishments')
      .set((eb) => ({
        status: 'ordering',
        order_attempts: eb('order_attempts', '+', 1),
        order_claimed_at: sql<Date>`now()`,
      }))
      .where('id', '=', id)
      .where('status', '=', 'requested')
      .returning(['id', 'sku', 'quantity', 'factory_id', 'order_attempts'])
      .executeTakeFirst();
    if (!claim) {
      await settleUnclaimed(deps.db, id, callWindowMs, log);
      return;
    }

    const body: FactoryOrderBody = {
      MessageGroupId: FACTORY_MESSAGE_GROUP,
      MessageAttributeProductId: claim.sku,
      MessageAttributeProductCnt: claim.quantity,
      MessageAttributeFactoryId: claim.factory_id,
      MessageAttributeRequester: deps.factory.requester,
      CallbackUrl: callbackUrl(deps.callbacks.publicUrl, deps.callbacks.secret, {
        replenishmentId: claim.id,
        sku: claim.sku,
        quantity: claim.quantity,
      }),
      // Older factories read this field for the quantity.
      OrderStockCnt: claim.quantity,
    };
    const outcome = await postFactoryOrder(deps.factory, body, claim.id);
    // Every write below is conditional on this claim: a restock may have closed the replenishment meanwhile
    // (a fast factory calls back before its answer is recorded), and that must stand.
    const mine = deps.db
      .updateTable('replenishments')
      .where('id', '=', claim.id)
      .where('order_attempts', '=', claim.order_attempts);

    if (outcome.kind === 'accepted') {
      await mine
        .set((eb) => ({
          status: 'ordered',
          factory_order_id: outcome.factoryOrderId,
          ordered_at: eb.ref('order_claimed_at'),
        }))
        .where('status', 'in', ['ordering', 'unconfirmed'])
        .execute();
      log.info(
        { factoryOrderId: outcome.factoryOrderId, sku: claim.sku, quantity: claim.quantity },
        'factory order placed',
      );
      return;
    }
    if (outcome.kind === 'not_delivered') {
      await mine.set({ status: 'requested', order_claimed_at: null }).where('status', '=', 'ordering').execute();
      throw new FactoryUnavailableError(outcome.reason, { cause: outcome.cause });
    }
    await mine
      .set((eb) => ({ status: 'unconfirmed', ordered_at: eb.ref('order_claimed_at') }))
      .where('status', '=', 'ordering')
      .execute();
    log.warn(
      { err: outcome.cause, reason: outcome.reason, sku: claim.sku },
      'the factory may have accepted the order without answering; not sending it again, waiting for its callback',
    );
  };
}

/**
 * The claim was not taken: the replenishment is ordered, unconfirmed or closed (a redelivery: nothing to
 * do), or another consumer holds it. A claim older than a whole call was left by a consumer that died
 * mid-call; the factory may have the order, so it becomes `unconfirmed`, never ordered again.
 */
async function settleUnclaimed(
  db: Kysely<InventoryTables>,
  id: string,
  callWindowMs: number,
  log: Logger,
): Promise<void> {
  const abandoned = await db
    .updateTable('replenishments')
    .set((eb) => ({ status: 'unconfirmed', ordered_at: eb.ref('order_claimed_at') }))
    .where('id', '=', id)
    .where('status', '=', 'ordering')
    .where('order_claimed_at', '<', sql<Date>`now() - make_interval(secs => ${callWindowMs / 1000})`)
    .returning(['sku', 'order_attempts'])
    .executeTakeFirst();
  if (abandoned) {
    log.warn(
      { sku: abandoned.sku, attempts: abandoned.order_attempts },
      'a factory order was abandoned mid-call; the factory may have it: not sending it again, waiting for its callback',
    );
    return;
  }
  const current = await db.selectFrom('replenishments').select(['status']).where('id', '=', id).executeTakeFirst();
  if (!current) throw new Error(`replenishment ${id} does not exist`);
  if (current.status === 'ordering') throw new FactoryOrderInFlightError(id);
  log.info({ status: current.status }, 'factory order already placed or settled; skipping redelivery');
}

/** What a factory call came to. Only `accepted` and `not_delivered` are certain. */
export type FactoryCallOutcome =
  | { readonly kind: 'accepted'; readonly factoryOrderId: string | null }
  | { readonly kind: 'not_delivered'; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: 'maybe_delivered'; readonly reason: string; readonly cause: unknown };

async function postFactoryOrder(
  factory: FactoryOrderDeps['factory'],
  body: FactoryOrderBody,
  idempotencyKey: string,
): Promise<FactoryCallOutcome> {
  let response: Response;
  try {
    response = await fetch(`${factory.url.replace(/\/+$/, '')}/api/manufactures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(factory.timeoutMs),
    });
  } catch (error) {
    const reason = `factory unreachable: ${describe(error)}`;
    return neverSent(error)
      ? { kind: 'not_delivered', reason, cause: error }
      : { kind: 'maybe_delivered', reason, cause: error };
  }
  // The status line arrived: whatever happens to the rest, the factory's decision is known.
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    return { kind: 'not_delivered', reason: `factory answered ${response.status}: ${text.slice(0, 200)}` };
  }
  const answer = FactoryOrderAnswer.safeParse(safeJson(text));
  // Accepted (2xx) even when the answer is odd or cut short; keep going without its id.
  return { kind: 'accepted', factoryOrderId: answer.success ? answer.data.data.id : null };
}

/**
 * Error codes of a request that never left this machine: the name did not resolve, no connection was
 * made, or TLS refused the peer before a byte of HTTP went out. Anything else (a timeout, a reset or a
 * closed socket) may have happened after the factory read the order.
 */
const NEVER_SENT_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * True when `fetch` failed before the request could have reached the factory. undici wraps the cause
 * (`TypeError: fetch failed` -> the socket or DNS error); with several addresses tried, the causes of an
 * AggregateError must all be such failures. An error raised by the `connect` or a name lookup syscall
 * means no connection existed, whatever its code.
 */
export function neverSent(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if (current instanceof AggregateError && current.errors.length > 0) return current.errors.every(neverSent);
    const { code, syscall } = current as { code?: unknown; syscall?: unknown };
    if (typeof code === 'string' && NEVER_SENT_CODES.has(code)) return true;
    if (syscall === 'connect' || syscall === 'getaddrinfo') return true;
    current = current.cause;
  }
  return false;
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
