import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { createJobHandler } from './adapters.ts';
import { runtimeFromEnvironment } from './runtime.ts';

/**
 * EventBridge Scheduler → one scheduled job of the topology (DONUT_SCHEDULE). The schedule's input only
 * names the job for a reader of the logs; the environment decides which job runs.
 */
export const handler = lambdaEntry<unknown, { result: unknown }>(async (pt, logger) => {
  const env = readLambdaEnvironment();
  const schedule = required(env.schedule, ENV.schedule);
  return createJobHandler(await runtimeFromEnvironment(pt, logger, env), schedule);
});
