import type { ScheduledEvent } from 'aws-lambda';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { createRelayHandler } from './adapters.ts';
import { runtimeFromEnvironment } from './runtime.ts';

/**
 * EventBridge schedule → sweeps one database's outbox (DONUT_DATABASE). The functions that commit
 * events publish them right after commit; this catches what a crash or a failed publish left behind.
 */
export const handler = lambdaEntry<ScheduledEvent, { published: number }>(async (pt, logger) => {
  const env = readLambdaEnvironment();
  const database = required(env.database, ENV.database);
  return createRelayHandler(await runtimeFromEnvironment(pt, logger, env), database, pt.metrics);
});
