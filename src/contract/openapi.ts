import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import type { HttpMethod, RouteDeclaration, Topology } from '../topology.ts';
import { DashboardSnapshot } from './dashboard.ts';
import { FactoryOrderBody } from './factory.ts';
import { CheckoutBody, ProductInput } from './http.ts';
import { errorResponse, OPERATIONS, type OperationSpec, type ResponseSpec } from './operations.ts';
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

const REQUEST_SCHEMAS: Readonly<Record<string, z.ZodType>> = { CheckoutBody, ProductInput, FactoryOrderBody };
const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Error: ErrorResponse,
  OutOfStock: OutOfStockResponse,
  Replenishment: ReplenishmentResponse,
  Product: ProductResponse,
  ProductList: ProductListResponse,
  Checkout: CheckoutResponse,
  CartCheckout: CartCheckoutResponse,
  CartOutOfStock: CartOutOfStockResponse,
  Order: OrderEnvelopeResponse,
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
    allResponses[413] ??= errorResponse('payload_too_large: the body is over 64 KiB');
    allResponses[415] ??= errorResponse('unsupported_media_type: the body is not sent as application/json');
  }
  if (route.auth === 'admin')
    allResponses[401] ??= errorResponse('unauthorized: a valid admin bearer token is required');
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
