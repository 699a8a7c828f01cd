import { createServer } from 'node:http';
import { type AddressInfo, Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback, onLoopback } from './loopback-listen.ts';

async function listening(start: (server: ReturnType<typeof createServer>) => void): Promise<AddressInfo> {
  const server = createServer();
  try {
    await listenOnLoopback(
      () =>
        new Promise<void>((resolve, reject) => {
          server.once('listening', resolve).once('error', reject);
          start(server);
        }),
    );
    return server.address() as AddressInfo;
  } finally {
    server.close();
  }
}

describe('listenOnLoopback', () => {
  it('binds a server that asks for every interface to 127.0.0.1', async () => {
    expect((await listening((s) => s.listen({ port: 0, host: '0.0.0.0' }))).address).toBe('127.0.0.1');
    expect((await listening((s) => s.listen({ port: 0, host: '::' }))).address).toBe('127.0.0.1');
    expect((await listening((s) => s.listen({ port: 0 }))).address).toBe('127.0.0.1');
    expect((await listening((s) => s.listen(0, '0.0.0.0'))).address).toBe('127.0.0.1');
    expect((await listening((s) => s.listen(0))).address).toBe('127.0.0.1');
    expect((await listening((s) => s.listen())).address).toBe('127.0.0.1');
  });

  it('puts listen back afterwards, even when start fails', async () => {
    const listen = Server.prototype.listen;
    await expect(listenOnLoopback(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(Server.prototype.listen).toBe(listen);
  });

  it('leaves Unix socket paths alone and keeps the other arguments', () => {
    const callback = () => {};
    expect(onLoopback(['/tmp/x.sock', callback])).toEqual(['/tmp/x.sock', callback]);
    expect(onLoopback([{ path: '/tmp/x.sock' }])).toEqual([{ path: '/tmp/x.sock' }]);
    expect(onLoopback([8080, '0.0.0.0', 511, callback])).toEqual([8080, '127.0.0.1', 511, callback]);
    expect(onLoopback([8080, callback])).toEqual([8080, '127.0.0.1', callback]);
    expect(onLoopback([{ port: 1, host: '0.0.0.0', backlog: 5 }])).toEqual([
      { port: 1, host: '127.0.0.1', backlog: 5 },
    ]);
  });
});
