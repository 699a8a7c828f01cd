import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError, UnauthorizedError } from '../../contract/errors.ts';

const MAX_BODY_BYTES = 64 * 1024;

/** 413 over 64 KiB, whether or not the client declared a length. */
export const limitBody = (): MiddlewareHandler => {
  const tooLarge = () => {
    throw new AppError(413, 'payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  };
  const counted = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return async (c, next) => {
    // With a declared length the headers decide, without touching the body: asking the request for
    // its body stream (as the streaming check does) costs a whole web Request per call on Node.
    if (c.req.header('transfer-encoding') === undefined) {
      const length = c.req.header('content-length');
      if (length !== undefined && Number(length) > MAX_BODY_BYTES) return tooLarge();
      return next();
    }
    return counted(c, next);
  };
};

/** 415 for a body that is not declared as JSON. Bodiless requests pass. */
export const requireJsonBody = (): MiddlewareHandler => async (c, next) => {
  const length = c.req.header('content-length');
  const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
  if (hasBody) {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      throw new AppError(415, 'unsupported_media_type', 'the body must be sent as application/json');
    }
  }
  await next();
};

/** Constant-time comparison of a presented secret with the expected one (hashing first equalizes lengths). */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>` or 401. */
export const requireAdmin =
  (token: string): MiddlewareHandler =>
  async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !secretsEqual(match[1]!.trim(), token)) throw new UnauthorizedError();
    await next();
  };
