import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ENV } from '../lambda/env.ts';
import type { FunctionPlan } from '../plan.ts';
import type { Alarms } from './alarms.ts';
import type { QueueResources } from './messaging.ts';
import { MIN_SQS_MAX_CONCURRENCY } from './sizing.ts';

/**
 * A consumer function reads its queue in batches with partial batch failures; an alarm fires when it
 * throws. The queue is the plan's. Returns the event source mapping, for the stack to order it.
 */
export function consumeQueue(
  plan: FunctionPlan,
  fn: lambda.Function,
  queue: QueueResources,
  alarms: Alarms,
): lambda.EventSourceMapping {
  fn.addEventSource(
    new SqsEventSource(queue.queue, {
      batchSize: plan.queue!.batchSize,
      maxConcurrency: Math.max(MIN_SQS_MAX_CONCURRENCY, plan.queue!.concurrency),
      reportBatchItemFailures: true,
      // Batches above ten need a batching window; up to ten, deliver at once.
      ...(plan.queue!.batchSize > 10 ? { maxBatchingWindow: Duration.seconds(1) } : {}),
    }),
  );
  fn.addEnvironment(ENV.queue, plan.queue!.name);
  alarms.add(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
    description: `the ${plan.queue!.name} consumer threw (a whole batch failed or the function crashed)`,
  });
  // The event source adds its mapping under the function; it does not hand it back.
  const mappings = fn.node.children.filter((child) => child instanceof lambda.EventSourceMapping);
  return mappings.at(-1) as lambda.EventSourceMapping;
}

/**
 * A job or an outbox relay runs on a schedule (a job at its own period rounded up to whole minutes, a
 * relay's sweep every minute), without retries; an alarm fires when it fails. Created in the stack's
 * scope, so logical ids stay those of a flat stack.
 */
export function runOnSchedule(scope: Stack, plan: FunctionPlan, fn: lambda.Function, alarms: Alarms): events.Rule {
  const every =
    plan.kind === 'job' ? Duration.minutes(Math.max(1, Math.ceil(plan.schedule!.everyS / 60))) : Duration.minutes(1);
  const rule = new events.Rule(scope, `${plan.id}Schedule`, {
    description:
      plan.kind === 'job'
        ? plan.schedule!.purpose
        : `sweep the ${plan.database} outbox for events a crash or a failed publish left behind`,
    schedule: events.Schedule.rate(every),
    // The next tick runs again anyway; a retry would only overlap it.
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
  });
  if (plan.kind === 'job') fn.addEnvironment(ENV.schedule, plan.schedule!.name);
  else fn.addEnvironment(ENV.database, plan.database!);
  alarms.add(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
    description: `${plan.id} failed`,
  });
  return rule;
}
