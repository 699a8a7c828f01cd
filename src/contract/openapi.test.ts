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
});
