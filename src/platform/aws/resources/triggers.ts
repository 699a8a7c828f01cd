import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ENV } from '../lambda/env.ts';
import type { FunctionPlan } from '../plan.ts';
import type { Alarms } from './alarms.ts';
import type { QueueResources } from './messaging.ts';
import { MIN_SQS_MAX_CONCURRENCY } from './sizing.ts';

/**
 * A consumer function reads its queue in batches with partial batch failures; an alarm fires when it
 * throws. The queue is the plan's.
 */
export function consumeQueue(plan: FunctionPlan, fn: lambda.Function, queue: QueueResources, alarms: Alarms): void {
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
}

/**
 * A job or an outbox relay runs on a schedule (a job at its own period rounded up to whole minutes, a
 * relay's sweep every minute), without retries; an alarm fires when it fails. Created in the stack's
 * scope, so logical ids stay those of a flat stack.
 */
export function runOnSchedule(scope: Stack, plan: FunctionPlan, fn: lambda.Function, alarms: Alarms): void {
  const every =
    plan.kind === 'job' ? Duration.minutes(Math.max(1, Math.ceil(plan.schedule!.everyS / 60))) : Duration.minutes(1);
  new events.Rule(scope, `${plan.id}Schedule`, {
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
}
