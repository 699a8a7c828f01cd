import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { createConsumerHandler } from './adapters.ts';
import { runtimeFromEnvironment } from './runtime.ts';

/** SQS event source (ReportBatchItemFailures) → the consumer of one queue (DONUT_QUEUE). */
export const handler = lambdaEntry<SQSEvent, SQSBatchResponse>(async (pt, logger) => {
  const env = readLambdaEnvironment();
  const queue = required(env.queue, ENV.queue);
  return createConsumerHandler(await runtimeFromEnvironment(pt, logger, env), queue, pt.metrics);
});
