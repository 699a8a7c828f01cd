import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RecordHandler } from './service.ts';

export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Turns a record handler into an SQS batch handler with partial batch failures, the same on Lambda
 * and locally: a record that throws is reported back alone, the others are deleted.
 * A processor per call: one shared by concurrent invocations would mix their records.
 */
export function createSqsBatchHandler(recordHandler: RecordHandler): SqsBatchHandler {
  return async (event, context) => {
    const processor = new BatchProcessor(EventType.SQS);
    // A batch where every record failed is reported record by record too, rather than thrown.
    return processPartialResponse(event, recordHandler, processor, {
      throwOnFullBatchFailure: false,
      ...(context ? { context } : {}),
    });
  };
}
