import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createSqsBatchHandler } from './sqs-batch.ts';

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
    });
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
