import type { PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { PUBLISH_BATCH_MAX_BYTES, publishBatches, publishEntryBytes } from './outbox.ts';

const entry = (id: string, message: string, type = 'order.placed'): { entry: PublishBatchRequestEntry } => ({
  entry: { Id: id, Message: message, MessageAttributes: { type: { DataType: 'String', StringValue: type } } },
});
const ids = (calls: { entry: PublishBatchRequestEntry }[][]) => calls.map((call) => call.map((c) => c.entry.Id));

describe('PublishBatch calls within SNS limits', () => {
  it('counts a message in UTF-8 bytes, with its attributes’ names, types and values', () => {
    // 'type' + 'String' + 'order.placed'
    expect(publishEntryBytes(entry('1', '🍩'.repeat(10)).entry)).toBe(40 + 4 + 6 + 12);
    expect(publishEntryBytes({ Id: '1', Message: 'abc' })).toBe(3);
  });

  it('puts at most ten entries in a call, in order', () => {
    const items = Array.from({ length: 23 }, (_, i) => entry(String(i), 'x'));
    const calls = publishBatches(items);
    expect(calls.map((call) => call.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(items);
  });

  it('closes a call before its entries, attributes included, would pass 256 KiB', () => {
    // The two messages alone fit exactly; their attributes do not.
    const half = 'x'.repeat(PUBLISH_BATCH_MAX_BYTES / 2);
    expect(ids(publishBatches([entry('a', half), entry('b', half), entry('c', 'x')]))).toEqual([['a'], ['b', 'c']]);
    expect(ids(publishBatches([{ entry: { Id: 'a', Message: half } }, { entry: { Id: 'b', Message: half } }]))).toEqual(
      [['a', 'b']],
    );
  });

  it('gives an entry over the limit on its own a call of its own', () => {
    const huge = 'x'.repeat(PUBLISH_BATCH_MAX_BYTES + 1);
    expect(ids(publishBatches([entry('a', 'x'), entry('b', huge), entry('c', 'x')]))).toEqual([['a'], ['b'], ['c']]);
  });
});
