import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { duplicateKeys, logCapture } from '../../test/helpers/log-lines.ts';
import { createPowertools, pinoOverPowertools } from './aws/lambda/powertools.ts';
import { createLogger } from './logger.ts';
import { createSqsBatchHandler } from './sqs-batch.ts';

const silent = createLogger('silent');

const record = (messageId: string, body: string) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {} as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:customer-purchases',
    awsRegion: 'us-east-1',
  }) satisfies SQSRecord;

describe('SQS batch handler', () => {
  it('hands each event of a bundle to the record handler and fails only the message holding a failure', async () => {
    const seen: string[] = [];
    const handler = createSqsBatchHandler(async (r) => {
      const { id } = JSON.parse(r.body) as { id: string };
      seen.push(id);
      if (id === 'bad') throw new Error('poison');
    }, silent);
    const event: SQSEvent = {
      Records: [
        record('m1', JSON.stringify([{ id: 'a' }, { id: 'b' }, { id: 'c' }])),
        record('m2', JSON.stringify([{ id: 'd' }, { id: 'bad' }])),
        record('m3', JSON.stringify({ id: 'e' })),
      ],
    };
    const response = await handler(event);
    expect(seen.sort()).toEqual(['a', 'b', 'bad', 'c', 'd', 'e']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
  });
});

describe('a failed record in the logs', () => {
  afterEach(() => vi.restoreAllMocks());

  const failing = async (r: SQSRecord) => {
    if (r.body.includes('bad')) throw new Error(`no product named ${r.body}`);
  };
  const event: SQSEvent = {
    Records: [record('m-ok', '{"id":"ok"}'), record('m-bad', '{"id":"bad"}')],
  };

  it('is one line (pino) naming the queue once, the message id and the error message', async () => {
    const { stream, lines } = logCapture();
    const logger = createLogger('info', 'donut-states', stream).child({ queue: 'customer-purchases' });
    const response = await createSqsBatchHandler(failing, logger)(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(lines).toHaveLength(1);
    expect(duplicateKeys(lines[0]!)).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      queue: 'customer-purchases',
      messageId: 'm-bad',
      err: { message: 'no product named {"id":"bad"}' },
    });
  });

  it('is one line (Powertools, on Lambda) with the message id and the error message', async () => {
    const lines: string[] = [];
    for (const output of [process.stdout, process.stderr]) {
      vi.spyOn(output, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        return true;
      });
    }
    const logger = pinoOverPowertools(createPowertools('probe').logger).child({ queue: 'customer-purchases' });
    await createSqsBatchHandler(failing, logger)(event);
    vi.restoreAllMocks();
    expect(lines).toHaveLength(1);
    expect(duplicateKeys(lines[0]!)).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      queue: 'customer-purchases',
      messageId: 'm-bad',
      err: { message: 'no product named {"id":"bad"}' },
    });
  });

  it('duplicateKeys sees what JSON.parse hides', () => {
    expect(duplicateKeys('{"queue":"a","msg":"x","queue":"a"}')).toEqual(['queue']);
    expect(duplicateKeys('{"a":{"b":1,"b":[{"c":"}","c":2}]},"d":"\\\\"}')).toEqual(['a.b', 'a.b.c']);
    expect(duplicateKeys('{"a":1,"b":{"a":2}}')).toEqual([]);
  });
});
