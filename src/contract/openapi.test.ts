import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { topology } from '../topology.ts';
import { CheckoutBody, ProductInput } from './http.ts';
import { buildOpenApiDocument, openApiPath, operationKey } from './openapi.ts';
import { OPERATIONS } from './operations.ts';

const document = () => JSON.parse(JSON.stringify(buildOpenApiDocument(topology)));

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(document());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is checked by a validator that does reject a broken document', async () => {
    const broken = document();
    broken.paths['/products'].get.responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents every route of the topology, and nothing else', () => {
    const doc = document();
    for (const route of topology.routes) {
      expect(OPERATIONS, operationKey(route)).toHaveProperty([operationKey(route)]);
      const operation = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(operation, operationKey(route)).toBeDefined();
      expect(operation.summary).toBe(route.summary);
      expect(operation.tags).toEqual([route.service]);
      if (route.auth === 'admin') {
        expect(operation.security).toEqual([{ adminToken: [] }]);
        expect(operation.responses).toHaveProperty(['401']);
      }
    }
    const declared = new Set(topology.routes.map(operationKey));
    for (const key of Object.keys(OPERATIONS)) expect(declared, key).toContain(key);
    const operations = Object.values(doc.paths).flatMap((methods) => Object.keys(methods as object));
    expect(operations).toHaveLength(topology.routes.length);
  });

  it('describes request bodies with the very schemas that validate them', () => {
    const doc = document();
    const bodySchema = (path: string, method: string) => {
      const ref: string = doc.paths[path][method].requestBody.content['application/json'].schema.$ref;
      return doc.components.schemas[ref.split('/').at(-1)!];
    };
    const plain = (schema: z.ZodType) => {
      const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
      return rest;
    };
    expect(bodySchema('/checkout', 'post')).toEqual(plain(CheckoutBody));
    expect(bodySchema('/products/{sku}', 'put')).toEqual(plain(ProductInput));
    const [single, cart] = bodySchema('/checkout', 'post').anyOf;
    expect(single).toMatchObject({
      additionalProperties: false,
      properties: { quantity: { type: 'integer', minimum: 1, maximum: 1000 } },
    });
    expect(cart).toMatchObject({
      additionalProperties: false,
      properties: { items: { type: 'array', minItems: 1, maxItems: 50 } },
    });
  });

  it('documents both checkout answers and the two order routes, admin only, with the order view', () => {
    const doc = document();
    const schemaOf = (response: { content: Record<string, { schema: unknown }> }) =>
      response.content['application/json']!.schema as { $ref?: string; anyOf?: unknown[] };
    const resolve = (schema: { $ref?: string }) =>
      schema.$ref ? doc.components.schemas[schema.$ref.split('/').at(-1)!] : schema;
    const checkout = doc.paths['/checkout'].post.responses;
    const placed = schemaOf(checkout['201']).anyOf!.map((s) => resolve(s as { $ref?: string }));
    expect(placed).toEqual([
      expect.objectContaining({
        properties: expect.objectContaining({
          remaining: { type: 'integer', minimum: expect.any(Number), maximum: expect.any(Number) },
        }),
      }),
      expect.objectContaining({
        properties: expect.objectContaining({
          order: expect.objectContaining({ properties: expect.objectContaining({ items: expect.anything() }) }),
          remaining: expect.objectContaining({ type: 'object' }),
        }),
      }),
    ]);
    const refused = schemaOf(checkout['409']).anyOf!.map((s) => resolve(s as { $ref?: string }));
    expect(refused.map((r) => Object.keys(r.properties).sort())).toEqual([
      ['available', 'error', 'replenishment'],
      ['error', 'shortages'],
    ]);
    for (const [path, method] of [
      ['/orders/{id}', 'get'],
      ['/orders/{id}/cancel', 'post'],
    ] as const) {
      const operation = doc.paths[path][method];
      expect(operation.security, path).toEqual([{ adminToken: [] }]);
      expect(Object.keys(operation.responses).sort(), path).toEqual(['200', '401', '404']);
      expect(operation.parameters, path).toEqual([
        expect.objectContaining({
          name: 'id',
          in: 'path',
          required: true,
          schema: expect.objectContaining({ format: 'uuid' }),
        }),
      ]);
      const view = resolve(schemaOf(operation.responses['200'])).properties.order;
      expect(view.required.sort(), path).toEqual(['cancelledAt', 'createdAt', 'customerId', 'id', 'items', 'status']);
      expect(view.properties.status, path).toEqual({ type: 'string', enum: ['placed', 'cancelled'] });
    }
  });
});
