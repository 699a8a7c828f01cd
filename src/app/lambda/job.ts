import type { ScheduledEvent } from 'aws-lambda';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { createJobHandler } from './adapters.ts';
import { runtimeFromEnvironment } from './runtime.ts';

/** EventBridge schedule → one scheduled job of the topology (DONUT_SCHEDULE). */
export const handler = lambdaEntry<ScheduledEvent, { result: unknown }>(async (pt, logger) => {
  const env = readLambdaEnvironment();
  const schedule = required(env.schedule, ENV.schedule);
  return createJobHandler(await runtimeFromEnvironment(pt, logger, env), schedule);
});
