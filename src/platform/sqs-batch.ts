import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from 'pino';
import { unpackEvents } from './event-bundle.ts';
import type { RecordHandler } from './service.ts';

export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Turns a record handler into an SQS batch handler with partial batch failures, the same on Lambda
 * and locally: a record that throws is reported back alone, the others are deleted.
 * A record carrying a bundle of events is handed to the record handler once per event (concurrently)
 * and fails as a whole if any of them fails: redelivery repeats the ones that succeeded, which every
 * consumer's idempotency absorbs.
 * Each failed record is logged (`warn`) with its message id, receive count and error, on `logger`,
 * which names the queue. A processor per call: one shared by concurrent invocations would mix their records.
 */
export function createSqsBatchHandler(recordHandler: RecordHandler, logger: Logger): SqsBatchHandler {
  const handle = logFailures(eachEvent(recordHandler), logger);
  return async (event, context) => {
    const processor = new BatchProcessor(EventType.SQS);
    // A batch where every record failed is reported record by record too, rather than thrown.
    return processPartialResponse(event, handle, processor, {
      throwOnFullBatchFailure: false,
      ...(context ? { context } : {}),
    });
  };
}

function eachEvent(recordHandler: RecordHandler): RecordHandler {
  return async (record: SQSRecord) => {
    const bodies = unpackEvents(record.body);
    if (bodies.length === 1) return recordHandler(bodies[0] === record.body ? record : { ...record, body: bodies[0]! });
    const outcomes = await Promise.allSettled(bodies.map((body) => recordHandler({ ...record, body })));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failures.length === 1) throw failures[0]!.reason;
    if (failures.length > 1) {
      throw new AggregateError(
        failures.map((f) => f.reason),
        `${failures.length} of the ${bodies.length} events in this message failed`,
      );
    }
  };
}

/** The batch processor keeps a record's error to itself: logged here, with what finds the message again. */
function logFailures(recordHandler: RecordHandler, logger: Logger): RecordHandler {
  return async (record: SQSRecord) => {
    try {
      return await recordHandler(record);
    } catch (error) {
      logger.warn(
        { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount, err: error },
        'record failed; it will be delivered again, or dead-lettered',
      );
      throw error;
    }
  };
}
