import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startQueueEmulator } from '../../src/platform/local/queue-emulator.ts';
import { canConnect, externalAddresses, listeningSockets } from '../helpers/listening.ts';
import { startTestSystem, type TestSystem } from '../helpers/system.ts';

// The embedded helpers take requests without any authentication (the queue emulator would take a forged
// stock arrival or purge a queue): only this machine may reach them. The gateway alone follows HOST.
describe('embedded helpers listen on loopback only', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('the SNS/SQS emulator listens on 127.0.0.1, not on every interface', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'donut-loopback-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const emulator = await startQueueEmulator({ port: 0, dataDir: path.join(dir, 'queues') });
    cleanup.push(() => emulator.stop());
    const endpoint = new URL(emulator.endpoint);
    const port = Number(endpoint.port);
    expect(endpoint.hostname).toBe('127.0.0.1');

    const sockets = (await listeningSockets()).filter((s) => s.port === port);
    expect(sockets).toEqual([{ address: '127.0.0.1', port }]);
    expect(await canConnect('127.0.0.1', port)).toBe(true);
    for (const address of externalAddresses()) expect(await canConnect(address, port), address).toBe(false);
  });

  it('with the whole system running, every listener but the gateway is on 127.0.0.1', async () => {
    const system: TestSystem = await startTestSystem();
    cleanup.push(() => system.destroy());
    const ports = {
      emulator: Number(new URL(system.sqsEndpoint).port),
      mail: Number(new URL(system.mail.endpoint).port),
      factory: Number(new URL(system.factoryUrl).port),
    };
    const sockets = (await listeningSockets()).filter((s) => s.port !== system.port);
    for (const port of Object.values(ports)) expect(sockets.map((s) => s.port)).toContain(port);
    expect(sockets.filter((s) => s.address !== '127.0.0.1')).toEqual([]);
    for (const address of externalAddresses()) {
      for (const [name, port] of Object.entries(ports)) expect(await canConnect(address, port), name).toBe(false);
    }
  }, 180_000);
});
