import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import type { HttpMethod, RouteDeclaration, Topology } from '../topology.ts';
import { DashboardSnapshot } from './dashboard.ts';
import { FactoryOrderBody } from './factory.ts';
import { CheckoutRequest, IdempotencyKey, ProductInput, Sku, Text } from './http.ts';
import {
  CallbackAcceptedResponse,
  CheckoutResponse,
  CustomerResponse,
  DeadLetterListResponse,
  ErrorResponse,
  HealthResponse,
  NotificationListResponse,
  OutOfStockResponse,
  ProductListResponse,
  ProductResponse,
  PurgeResponse,
  QueueDepthResponse,
  QueueListResponse,
  RedriveResponse,
  ReplenishmentResponse,
} from './responses.ts';

/**
 * The OpenAPI 3.1 document of the gateway, built from the topology's routes and the zod schemas —
 * request bodies from the very schemas that validate them. Each route needs an entry in OPERATIONS;
 * a test fails for a declared route without one.
 */

type JsonSchema = Record<string, unknown>;

interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface ParameterSpec {
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

const error = (description: string): ResponseSpec => ({ description, schema: ErrorResponse });
const text = (description: string, contentType: string): ResponseSpec => ({ description, contentType });
const queueParam: ParameterSpec = { schema: z.string(), description: 'a queue `name` from GET /ops/queues' };
const skuParam: ParameterSpec = { schema: Sku, description: 'the product' };

/** Keyed `METHOD /path` exactly as in the topology. */
export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'GET /products': { responses: { 200: { description: 'every product', schema: ProductListResponse } } },
  'GET /products/:sku': {
    pathParams: { sku: skuParam },
    responses: {
      200: { description: 'the product', schema: ProductResponse },
      400: error('invalid sku'),
      404: error('product_not_found'),
    },
  },
  'PUT /products/:sku': {
    description: 'Creates the product or replaces every field of it.',
    pathParams: { sku: skuParam },
    body: ProductInput,
    responses: {
      200: { description: 'replaced', schema: ProductResponse },
      201: { description: 'created', schema: ProductResponse },
      400: error('invalid_request, one detail per invalid field'),
    },
  },
  'POST /checkout': {
    description:
      'Buys `quantity` of `sku`: stock never goes below zero. The same Idempotency-Key with the same body answers the first answer again (header Idempotent-Replayed: true) and places no second order.',
    headers: {
      'Idempotency-Key': { schema: IdempotencyKey, description: 'makes a retry safe', required: false },
      'X-Correlation-Id': {
        schema: z.string().max(128),
        description: 'follows the order through every event',
        required: false,
      },
    },
    body: CheckoutRequest,
    responses: {
      201: {
        description: 'the order was placed',
        schema: CheckoutResponse,
        headers: { 'Idempotent-Replayed': '`true` when this is the stored answer of an earlier request with this key' },
      },
      400: error('invalid_request'),
      404: error('product_not_found'),
      409: {
        description:
          'out_of_stock; `replenishment` is the open one, opened now when the stock found is at or below the reorder point, or null',
        schema: OutOfStockResponse,
      },
      422: error('idempotency_key_reused: the key was used with another body'),
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
      400: error('invalid_request'),
      401: error('missing_signature'),
      403: error('invalid_signature, or a body that does not match the signed order'),
      404: error('replenishment_not_found'),
      409: error('replenishment_closed'),
    },
  },
  'GET /customers/:id': {
    pathParams: { id: { schema: Text, description: 'the customerId used at checkout' } },
    responses: {
      200: { description: 'tier and quantity bought', schema: CustomerResponse },
      400: error('invalid_request: the id is not well-formed text'),
      404: error('customer_not_found: no counted order yet'),
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
      404: error('queue_not_found'),
    },
  },
  'POST /ops/dlq/:queue/redrive': {
    pathParams: { queue: queueParam },
    responses: {
      200: { description: 'moved back to the queue', schema: RedriveResponse },
      404: error('queue_not_found'),
    },
  },
  'DELETE /ops/dlq/:queue': {
    pathParams: { queue: queueParam },
    responses: { 200: { description: 'purged', schema: PurgeResponse }, 404: error('queue_not_found') },
  },
  'GET /': { responses: { 200: text('the dashboard page', 'text/html') } },
  'GET /dashboard/assets/:file': {
    pathParams: { file: { schema: z.string(), description: 'e.g. app.js, style.css, architecture.svg' } },
    responses: {
      200: text('the asset: a JavaScript module, CSS or SVG, with its own content type', '*/*'),
      404: error('not_found'),
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
const REQUEST_SCHEMAS: Readonly<Record<string, z.ZodType>> = { CheckoutRequest, ProductInput, FactoryOrderBody };
const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Error: ErrorResponse,
  OutOfStock: OutOfStockResponse,
  Replenishment: ReplenishmentResponse,
  Product: ProductResponse,
  ProductList: ProductListResponse,
  Checkout: CheckoutResponse,
  CallbackAccepted: CallbackAcceptedResponse,
  Customer: CustomerResponse,
  NotificationList: NotificationListResponse,
  Health: HealthResponse,
  QueueDepth: QueueDepthResponse,
  QueueList: QueueListResponse,
  DeadLetterList: DeadLetterListResponse,
  Redrive: RedriveResponse,
  Purge: PurgeResponse,
  DashboardSnapshot,
};

const refTo = (id: string) => `#/components/schemas/${id}`;

function components(schemas: Readonly<Record<string, z.ZodType>>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, { io, uri: refTo, unrepresentable: 'any' });
  return Object.fromEntries(Object.entries(out).map(([id, schema]) => [id, strip(schema as JsonSchema)]));
}

/** Drops the per-document keys zod adds; inside an OpenAPI document they would be wrong. */
function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function schemaFor(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const named = Object.entries(io === 'input' ? REQUEST_SCHEMAS : RESPONSE_SCHEMAS).find(([, s]) => s === schema);
  if (named) return { $ref: refTo(named[0]) };
  return strip(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema);
}

/** `/products/:sku` -> `/products/{sku}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
export const operationKey = (route: Pick<RouteDeclaration, 'method' | 'path'>) => `${route.method} ${route.path}`;

const operationId = (method: HttpMethod, path: string) =>
  method.toLowerCase() +
  path
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^:/, 'by-'))
    .join('-')
    .split(/[-.]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

function operation(route: RouteDeclaration): JsonSchema {
  const spec: OperationSpec = OPERATIONS[operationKey(route)] ?? {
    responses: { default: { description: 'not documented yet' } },
  };
  const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const parameters = [
    ...pathNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: spec.pathParams?.[name]?.description,
      schema: schemaFor(spec.pathParams?.[name]?.schema ?? z.string(), 'input'),
    })),
    ...Object.entries(spec.query ?? {}).map(([name, p]) => ({
      name,
      in: 'query',
      required: p.required ?? true,
      description: p.description,
      schema: schemaFor(p.schema, 'input'),
    })),
    ...Object.entries(spec.headers ?? {}).map(([name, p]) => ({
      name,
      in: 'header',
      required: p.required ?? true,
      description: p.description,
      schema: schemaFor(p.schema, 'input'),
    })),
  ];
  const responses: Record<string, JsonSchema> = {};
  const allResponses: Record<string, ResponseSpec> = { ...spec.responses };
  if (spec.body) {
    allResponses[413] ??= error('payload_too_large: the body is over 64 KiB');
    allResponses[415] ??= error('unsupported_media_type: the body is not sent as application/json');
  }
  if (route.auth === 'admin') allResponses[401] ??= error('unauthorized: a valid admin bearer token is required');
  for (const [status, response] of Object.entries(allResponses)) {
    const contentType = response.contentType ?? (response.schema ? 'application/json' : undefined);
    responses[status] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(contentType
        ? { content: { [contentType]: response.schema ? { schema: schemaFor(response.schema, 'output') } : {} } }
        : {}),
    };
  }
  return {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [route.service],
    ...(route.auth === 'admin' ? { security: [{ adminToken: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaFor(spec.body, 'input') } } } }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(topology: Topology): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of topology.routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${topology.name} API`,
      version: packageJson.version,
      description:
        'The HTTP gateway of Donut-States. Every error is `{"error": {"code", "message", "details?"}}`; bodies are JSON (415 otherwise) of at most 64 KiB (413).',
    },
    tags: Object.entries(topology.services).map(([name, service]) => ({ name, description: service.description })),
    paths,
    components: {
      schemas: { ...components(REQUEST_SCHEMAS, 'input'), ...components(RESPONSE_SCHEMAS, 'output') },
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, printed at start' },
      },
    },
  };
}
