import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, type ErrorDetail, InvalidRequestError } from '../../contract/errors.ts';

/** Zod issues become one detail per invalid field. */
function detailsFromZod(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
}

/** The single place an error becomes an HTTP answer in the contract's shape. */
export function renderError(error: unknown, c: Context, logger?: Logger): Response {
  const appError = toAppError(error);
  if (appError) return c.json(appError.toJSON(), appError.status as ContentfulStatusCode);
  logger?.error({ err: error, path: c.req.path, method: c.req.method }, 'unhandled error');
  return c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500);
}

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return new InvalidRequestError('the request is invalid', detailsFromZod(error));
  if (error instanceof HTTPException) {
    const code =
      error.status === 413 ? 'payload_too_large' : error.status === 415 ? 'unsupported_media_type' : 'http_error';
    return new AppError(error.status, code, error.message || 'request rejected');
  }
  return undefined;
}
