import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, startQueueEmulator } from '../../src/platform/local/queue-emulator.ts';
import { QueuePoller } from '../../src/platform/local/queue-poller.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createSqsBatchHandler } from '../../src/platform/sqs-batch.ts';
import { duplicateKeys, logCapture } from '../helpers/log-lines.ts';
import { queueDepth, waitFor } from '../helpers/system.ts';

// The local stand-in for Lambda's SQS event source, against the real queue emulator.
describe('QueuePoller', () => {
  let dir: string;
  let stopEmulator: () => Promise<void>;
  let clients: AwsClients;
  let receives = 0;
  const logger = createLogger('silent');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-poller-'));
    const emulator = await startQueueEmulator({ port: 0, dataDir: path.join(dir, 'queues') });
    stopEmulator = emulator.stop;
    clients = createAwsClients(emulator.endpoint);
    clients.sqs.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ReceiveMessageCommand') receives += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
  });
  afterAll(async () => {
    clients?.sqs.destroy();
    clients?.sns.destroy();
    await stopEmulator?.();
    await rm(dir, { recursive: true, force: true });
  });

  async function queue(name: string) {
    const { QueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1' } }),
    );
    return { url: QueueUrl!, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
  }
  const send = (url: string, body: string) =>
    clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const drained = (url: string) =>
    waitFor('the queue to drain', async () => (await queueDepth({ clients }, url)) === 0);
  function poller(
    q: { url: string; arn: string },
    handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
    concurrency: number,
    batchSize: number,
  ) {
    return new QueuePoller({
      sqs: clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      handler,
      batchSize,
      concurrency,
      logger,
      waitTimeSeconds: 1,
    });
  }

  it('handles up to `concurrency` batches at once, each message once, and deletes what succeeded', async () => {
    const q = await queue('poller-concurrency');
    for (let i = 0; i < 12; i++) await send(q.url, `m-${i}`);
    const handled: string[] = [];
    let inHand = 0;
    let mostInHand = 0;
    // Handlers hold their batch until three are in hand at once (or 5 s pass: the poller does not run
    // them together), so a slow machine cannot pass them one by one.
    let releaseAll!: () => void;
    const threeInHand = new Promise<void>((resolve) => (releaseAll = resolve));
    const giveUp = setTimeout(() => releaseAll(), 5000);
    const p = poller(
      q,
      async (event) => {
        inHand += 1;
        mostInHand = Math.max(mostInHand, inHand);
        if (inHand === 3) releaseAll();
        await threeInHand;
        handled.push(...event.Records.map((r) => r.body));
        inHand -= 1;
        return { batchItemFailures: [] };
      },
      3,
      1,
    );
    p.start();
    try {
      await waitFor('12 messages handled', async () => handled.length === 12);
      expect(mostInHand).toBe(3);
      expect(new Set(handled).size).toBe(12);
      await drained(q.url);
    } finally {
      clearTimeout(giveUp);
      await p.stop();
    }
  });

  it('costs about one receive per message when messages arrive one by one, however high the concurrency', async () => {
    const q = await queue('poller-trickle');
    const handled: string[] = [];
    const p = poller(
      q,
      async (event) => {
        handled.push(...event.Records.map((r) => r.body));
        return { batchItemFailures: [] };
      },
      4,
      10,
    );
    p.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = receives;
      const messages = 15;
      for (let i = 0; i < messages; i++) {
        await send(q.url, `t-${i}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await waitFor('every message handled', async () => handled.length === messages);
      // Four receivers waiting on one queue would each be woken by every message: ~4 receives apiece.
      expect(receives - before).toBeLessThanOrEqual(messages + 3);
    } finally {
      await p.stop();
    }
  });

  it('leaves a failed record to come back after the visibility timeout; the others are deleted', async () => {
    const q = await queue('poller-failure');
    for (const body of ['ok-1', 'flaky', 'ok-2']) await send(q.url, body);
    const seen: string[] = [];
    const p = poller(
      q,
      async (event) => {
        seen.push(...event.Records.map((r) => r.body));
        const failures = event.Records.filter(
          (r) => r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1',
        );
        return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      1,
      10,
    );
    p.start();
    try {
      await waitFor('the failed record again', async () => seen.filter((b) => b === 'flaky').length === 2);
      expect(seen.filter((b) => b === 'ok-1')).toHaveLength(1);
      expect(seen.filter((b) => b === 'ok-2')).toHaveLength(1);
      await drained(q.url);
    } finally {
      await p.stop();
    }
  });

  it('logs a failed record with its message id and error, each line naming the queue once', async () => {
    const q = await queue('poller-logs');
    const { MessageId } = await send(q.url, 'unknown-sku');
    const { stream, lines } = logCapture();
    // Wired as the embedded system wires a queue's consumer: one logger, naming the queue.
    const log = createLogger('info', 'donut-states', stream).child({ queue: 'poller-logs' });
    const p = new QueuePoller({
      sqs: clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      handler: createSqsBatchHandler(async (record) => {
        throw new Error(`no product named ${record.body}`);
      }, log),
      batchSize: 10,
      concurrency: 1,
      logger: log,
      waitTimeSeconds: 1,
    });
    p.start();
    try {
      await waitFor('the poller to log the failed batch', async () => lines.some((l) => l.includes('records failed')));
    } finally {
      await p.stop();
    }
    for (const line of lines) expect(duplicateKeys(line), line).toEqual([]);
    const records = lines.map((line) => JSON.parse(line) as Record<string, any>);
    for (const record of records) expect(record.queue).toBe('poller-logs');
    const failed = records.find((r) => r.messageId !== undefined);
    expect(failed).toMatchObject({ messageId: MessageId, err: { message: 'no product named unknown-sku' } });
  });

  it('stop() waits for the batches in hand', async () => {
    const q = await queue('poller-stop');
    await send(q.url, 'slow');
    let started = false;
    let finished = false;
    const p = poller(
      q,
      async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
        return { batchItemFailures: [] };
      },
      2,
      1,
    );
    p.start();
    await waitFor('the batch to start', async () => started);
    await p.stop();
    expect(finished).toBe(true);
  });
});
