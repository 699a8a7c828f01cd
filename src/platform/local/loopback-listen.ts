import { Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Runs `start` with every TCP server that starts listening on this thread meanwhile bound to 127.0.0.1,
 * whatever address it asked for; `listen` is restored once `start` settles. For a library that hard-codes
 * its address (fauxqs listens on 0.0.0.0): what it serves is then reachable from this machine only.
 * Each worker thread has its own `net` module, so servers of other threads are not affected. Unix
 * socket paths and inherited handles are left as they are.
 */
export async function listenOnLoopback<T>(start: () => Promise<T>): Promise<T> {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    return (listen as (...a: unknown[]) => Server).apply(this, onLoopback(args));
  } as typeof listen;
  try {
    return await start();
  } finally {
    Server.prototype.listen = listen;
  }
}

/** `listen`'s arguments with the host replaced by (or, where none was given, set to) 127.0.0.1. */
export function onLoopback(args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first !== null && typeof first === 'object') {
    const options = first as { path?: unknown; fd?: unknown; handle?: unknown; _handle?: unknown };
    if (options.path !== undefined || options.fd !== undefined || options.handle !== undefined || '_handle' in options)
      return [...args];
    return [{ ...first, host: LOOPBACK }, ...rest];
  }
  if (first === undefined || typeof first === 'function') return [0, LOOPBACK, ...args];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port, host?, backlog?, callback?): a string right after the port is the host.
    return typeof rest[0] === 'string' ? [first, LOOPBACK, ...rest.slice(1)] : [first, LOOPBACK, ...rest];
  }
  // A Unix socket path or a named pipe.
  return [...args];
}
