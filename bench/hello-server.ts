import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The HTTP ceiling: a bare Hono app on the same @hono/node-server setup as the gateway.
const app = new Hono();
app.get('/', (c) => c.json({ hello: 'world' }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
