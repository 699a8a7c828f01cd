import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { neverSent } from './place-factory-order.consumer.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The error `fetch` rejects with, for a POST to `url`. */
async function failure(url: string, timeoutMs = 5000): Promise<unknown> {
  try {
    await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return error;
  }
  throw new Error('the request did not fail');
}

describe('which fetch failures mean the order never reached the factory', () => {
  it('a refused connection: never sent', async () => {
    const url = await listen(() => {});
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    expect(neverSent(await failure(url))).toBe(true);
  });

  it('a name that does not resolve: never sent (as undici reports it)', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND factory.invalid'), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
    });
    expect(neverSent(new TypeError('fetch failed', { cause: dns }))).toBe(true);
    const refusedTwice = new AggregateError(
      [
        Object.assign(new Error('connect ECONNREFUSED ::1:4000'), { code: 'ECONNREFUSED', syscall: 'connect' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4000'), { code: 'ECONNREFUSED', syscall: 'connect' }),
      ],
      'all addresses refused',
    );
    expect(neverSent(new TypeError('fetch failed', { cause: refusedTwice }))).toBe(true);
  });

  it('a connection dropped after the request was read: maybe sent', async () => {
    const url = await listen((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    expect(neverSent(await failure(url))).toBe(false);
  });

  it('no answer within the timeout: maybe sent', async () => {
    const url = await listen(() => {});
    expect(neverSent(await failure(url, 200))).toBe(false);
  });

  it('anything else, or a reset after connecting: maybe sent', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    expect(neverSent(new TypeError('fetch failed', { cause: reset }))).toBe(false);
    expect(neverSent(new Error('something odd'))).toBe(false);
    expect(neverSent('not an error')).toBe(false);
  });
});
