import { z } from 'zod';
import { DashboardSnapshot } from './dashboard.ts';
import { FactoryOrderBody } from './factory.ts';
import { CheckoutBody, IdempotencyKey, OrderId, ProductInput, Sku, Text } from './http.ts';
import {
  CallbackAcceptedResponse,
  CartCheckoutResponse,
  CartOutOfStockResponse,
  CheckoutResponse,
  CustomerResponse,
  DeadLetterListResponse,
  ErrorResponse,
  HealthResponse,
  NotificationListResponse,
  OrderEnvelopeResponse,
  OutOfStockResponse,
  ProductListResponse,
  ProductResponse,
  PurgeResponse,
  QueueListResponse,
  RedriveResponse,
  ReplenishmentPlanResponse,
} from './responses.ts';

/**
 * What the OpenAPI document says of each gateway operation beyond what the topology declares: its
 * parameters, body and responses, each with the zod schema that validates or produces it.
 */

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ParameterSpec {
  readonly schema: z.ZodType;
  readonly description: string;
  readonly required?: boolean;
}

export interface OperationSpec {
  readonly description?: string;
  readonly pathParams?: Readonly<Record<string, ParameterSpec>>;
  readonly query?: Readonly<Record<string, ParameterSpec>>;
  readonly headers?: Readonly<Record<string, ParameterSpec>>;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<string, ResponseSpec>>;
}

/** A response in the contract's error shape. */
export const errorResponse = (description: string): ResponseSpec => ({ description, schema: ErrorResponse });
const text = (description: string, contentType: string): ResponseSpec => ({ description, contentType });
const queueParam: ParameterSpec = { schema: z.string(), description: 'a queue `name` from GET /ops/queues' };
const skuParam: ParameterSpec = { schema: Sku, description: 'the product' };
const orderIdParam: ParameterSpec = { schema: OrderId, description: 'the order id checkout answered with' };

/** Keyed `METHOD /path` exactly as in the topology. */
export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'GET /products': { responses: { 200: { description: 'every product', schema: ProductListResponse } } },
  'GET /products/:sku': {
    pathParams: { sku: skuParam },
    responses: {
      200: { description: 'the product', schema: ProductResponse },
      400: errorResponse('invalid sku'),
      404: errorResponse('product_not_found'),
    },
  },
  'PUT /products/:sku': {
    description:
      'Creates the product or replaces every field of it. The planning fields are optional: left out, the product reorders at reorderPoint, reorderQuantity units (`fixed`), as before.',
    pathParams: { sku: skuParam },
    body: ProductInput,
    responses: {
      200: { description: 'replaced', schema: ProductResponse },
      201: { description: 'created', schema: ProductResponse },
      400: errorResponse('invalid_request, one detail per invalid field'),
    },
  },
  'POST /checkout': {
    description:
      'Buys `quantity` of `sku`, or a cart (`items`: 1 to 50 lines, each sku once) all or nothing: stock never goes below zero. The same Idempotency-Key with the same body (the whole cart) answers the first answer again (header Idempotent-Replayed: true) and places no second order.',
    headers: {
      'Idempotency-Key': { schema: IdempotencyKey, description: 'makes a retry safe', required: false },
      'X-Correlation-Id': {
        schema: z.string().max(128),
        description: 'follows the order through every event',
        required: false,
      },
    },
    body: CheckoutBody,
    responses: {
      201: {
        description: 'the order was placed (a cart answers its lines and the remaining stock per sku)',
        schema: z.union([CheckoutResponse, CartCheckoutResponse]),
        headers: { 'Idempotent-Replayed': '`true` when this is the stored answer of an earlier request with this key' },
      },
      400: errorResponse('invalid_request (for a cart also: no lines, more than 50, or a repeated sku)'),
      404: errorResponse('product_not_found; for a cart, `details` name every unknown sku'),
      409: {
        description:
          'out_of_stock, nothing sold; `replenishment` is the open one, opened now when the stock found is at or below the reorder point, or null. A cart lists one `shortages` entry per line that did not fit.',
        schema: z.union([OutOfStockResponse, CartOutOfStockResponse]),
      },
      422: errorResponse('idempotency_key_reused: the key was used with another body'),
    },
  },
  'GET /orders/:id': {
    pathParams: { id: orderIdParam },
    responses: {
      200: { description: 'the order, its lines and status', schema: OrderEnvelopeResponse },
      404: errorResponse('order_not_found'),
    },
  },
  'POST /orders/:id/cancel': {
    description:
      'Cancels the order: its stock returns in the same transaction, once, and order.cancelled is published. Cancelling a cancelled order answers the same and changes nothing.',
    pathParams: { id: orderIdParam },
    responses: {
      200: { description: 'the cancelled order', schema: OrderEnvelopeResponse },
      404: errorResponse('order_not_found'),
    },
  },
  'POST /factory/callbacks/:replenishmentId': {
    description:
      'The legacy factory posts the original order body back here when production is done. Answered at once; the restock happens from a queue, at most once.',
    pathParams: { replenishmentId: { schema: z.uuid(), description: 'from the CallbackUrl the system issued' } },
    query: {
      signature: { schema: z.string(), description: 'HMAC from the CallbackUrl; missing: 401', required: false },
    },
    body: FactoryOrderBody,
    responses: {
      202: { description: 'accepted; stock rises shortly', schema: CallbackAcceptedResponse },
      400: errorResponse('invalid_request'),
      401: errorResponse('missing_signature'),
      403: errorResponse('invalid_signature, or a body that does not match the signed order'),
      404: errorResponse('replenishment_not_found'),
      409: errorResponse('replenishment_closed'),
    },
  },
  'GET /customers/:id': {
    pathParams: { id: { schema: Text, description: 'the customerId used at checkout' } },
    responses: {
      200: { description: 'tier and quantity bought', schema: CustomerResponse },
      400: errorResponse('invalid_request: the id is not well-formed text'),
      404: errorResponse('customer_not_found: no counted order yet'),
    },
  },
  'GET /ops/notifications': {
    responses: { 200: { description: 'pause/resume-ads mails sent', schema: NotificationListResponse } },
  },
  'GET /health': {
    description:
      'One check round serves every request for about a second, so calling it often checks nothing more often.',
    responses: {
      200: { description: 'every component answers', schema: HealthResponse },
      503: { description: 'the failing components are named', schema: HealthResponse },
    },
  },
  'GET /metrics': { responses: { 200: text('Prometheus text format', 'text/plain') } },
  'GET /ops/queues': { responses: { 200: { description: 'depths', schema: QueueListResponse } } },
  'GET /ops/dlq/:queue': {
    pathParams: { queue: queueParam },
    responses: {
      200: { description: 'the messages waiting in the DLQ', schema: DeadLetterListResponse },
      404: errorResponse('queue_not_found'),
    },
  },
  'POST /ops/dlq/:queue/redrive': {
    pathParams: { queue: queueParam },
    responses: {
      200: { description: 'moved back to the queue', schema: RedriveResponse },
      404: errorResponse('queue_not_found'),
    },
  },
  'DELETE /ops/dlq/:queue': {
    pathParams: { queue: queueParam },
    responses: { 200: { description: 'purged', schema: PurgeResponse }, 404: errorResponse('queue_not_found') },
  },
  'GET /ops/replenishment-plan': {
    description:
      'The morning report: every product with its stock, what is on order, measured demand and lead time, the reorder point and quantity in force and the suggested ones, and the projected stock-out (docs/planning.md). CSV with `Accept: text/csv`.',
    responses: {
      200: {
        description: 'the plan, one line per product (JSON; with Accept: text/csv the same lines as CSV)',
        schema: ReplenishmentPlanResponse,
      },
    },
  },
  'GET /': { responses: { 200: text('the dashboard page', 'text/html') } },
  'GET /dashboard/assets/:file': {
    pathParams: { file: { schema: z.string(), description: 'e.g. app.js, style.css, architecture.svg' } },
    responses: {
      200: text('the asset: a JavaScript module, CSS or SVG, with its own content type', '*/*'),
      404: errorResponse('not_found'),
    },
  },
  'GET /dashboard/events': {
    description:
      'A `snapshot` event about once a second; its data is a DashboardSnapshot as JSON. At most DASHBOARD_MAX_STREAMS streams are open at once. A reader that has not taken the last snapshot misses the next ones until it has; one that takes nothing for 30 s is disconnected.',
    responses: {
      200: text('Server-Sent Events', 'text/event-stream'),
      429: {
        description: 'too_many_streams: as many streams as allowed are open; retry later or poll the snapshot',
        schema: ErrorResponse,
        headers: { 'Retry-After': 'seconds to wait before opening a stream again' },
      },
    },
  },
  'GET /dashboard/snapshot': {
    description: 'Shared by every reader: at most about a second old.',
    responses: { 200: { description: 'what the dashboard shows', schema: DashboardSnapshot } },
  },
  'GET /openapi.json': { responses: { 200: text('this document', 'application/json') } },
  'GET /docs': { responses: { 200: text('the API documentation page', 'text/html') } },
};

/** Schemas listed under components.schemas and referenced by name; the rest are inlined. */
