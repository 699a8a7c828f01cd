import { type Context, Hono } from 'hono';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { AppError, InvalidRequestError, NotFoundError } from '../../contract/errors.ts';
import { renderError } from './errors.ts';

/** A Hono app with the contract's error rendering: every service's HTTP app starts from this. */
export function createServiceApp(logger?: Logger): Hono {
  const app = new Hono();
  app.onError((error, c) => renderError(error, c, logger));
  app.notFound(() => {
    throw new NotFoundError('not_found', 'no such route');
  });
  return app;
}

// Fatal: bytes that are not UTF-8 are refused, not silently replaced by U+FFFD and stored as such.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the JSON body and validates it; a body that is not UTF-8, bad JSON or a failing schema is a 400
 * invalid_request. A key given twice counts once, with its last value (as JSON.parse reads it).
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new InvalidRequestError('the body could not be read');
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new InvalidRequestError('the body is not valid JSON in UTF-8');
  }
  return schema.parse(body);
}

/** Validates one path or header value; the field name goes into the 400's details. */
export function readValue<S extends z.ZodType>(field: string, value: unknown, schema: S): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidRequestError(`${field} is invalid`, [
      { field, message: result.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return result.data;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Correlation-Id when it is sane, else a fresh one; it follows the request through every event. */
export function correlationIdFrom(c: Context): string {
  const given = c.req.header('x-correlation-id');
  return given && CORRELATION_ID.test(given) ? given : crypto.randomUUID();
}
