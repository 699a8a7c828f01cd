import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeIdleSockets } from './idle-sockets.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A server that streams a chunk every few milliseconds, holding back while the last chunk is not taken
 * (as the dashboard's live feed does). `closed` settles when the server side of a connection closes.
 */
async function streamingServer(timeoutMs: number) {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let closed!: () => void;
  const serverClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let waiting = false;
    const timer = setInterval(() => {
      if (waiting) return;
      if (!res.write(chunk)) {
        waiting = true;
        res.once('drain', () => (waiting = false));
      }
    }, 5);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (socket) => socket.on('close', closed));
  closeIdleSockets(server, timeoutMs);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, serverClosed };
}

const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('open'), ms))]);

describe('closeIdleSockets', () => {
  it('closes the connection of a reader that stopped reading a stream', async () => {
    const { socket, serverClosed } = await streamingServer(300);
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Never read: the kernel's buffers fill, then nothing moves.
    socket.pause();
    expect(await within(serverClosed, 10_000)).toBe('closed');
    socket.destroy();
  });

  it('keeps a stream open while its reader reads', async () => {
    const { socket, serverClosed } = await streamingServer(300);
    let received = 0;
    socket.on('data', (data: Buffer) => (received += data.length));
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await within(serverClosed, 1500)).toBe('open');
    expect(received).toBeGreaterThan(1024 * 1024);
    socket.destroy();
  });

  it('closes a connection whose request never finishes arriving', async () => {
    const { socket, serverClosed } = await streamingServer(300);
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await within(serverClosed, 10_000)).toBe('closed');
    socket.destroy();
  });
});
