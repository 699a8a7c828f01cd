import { Duration, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { ENV } from '../lambda/env.ts';
import { acknowledge } from '../nag.ts';
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
 * The rate a job runs at on AWS: its declared period rounded up to whole minutes, since EventBridge
 * Scheduler's smallest rate is one minute. A job declared every few seconds runs once a minute; its work
 * is idempotent and bounded per run, so a run simply finds up to a minute's worth to do.
 */
export function scheduleRate(everyS: number): Duration {
  return Duration.minutes(Math.max(1, Math.ceil(everyS / 60)));
}

/**
 * A job or an outbox relay runs on an EventBridge Scheduler schedule (a job at `scheduleRate`, a relay's
 * sweep every minute), without retries: each is idempotent and the next tick runs it again, so a retry
 * would only overlap it. An alarm fires when it fails. Created in the stack's scope, so logical ids stay
 * those of a flat stack.
 */
export function runOnSchedule(
  scope: Stack,
  plan: FunctionPlan,
  fn: lambda.Function,
  alarms: Alarms,
): scheduler.Schedule {
  const job = plan.kind === 'job' ? plan.schedule! : undefined;
  // One role per schedule, allowed to invoke its own function (and that function's versions) only.
  const role = new iam.Role(scope, `${plan.id}ScheduleRole`, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': scope.account } },
    }),
    description: `EventBridge Scheduler: invokes ${plan.id}`,
  });
  const functionId = scope.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    "CDK's invoke grant names the function and its versions (`<arn>:*`); the role may invoke this one function and nothing else.",
  );
  const schedule = new scheduler.Schedule(scope, `${plan.id}Schedule`, {
    description: job
      ? job.purpose
      : `sweep the ${plan.database} outbox for events a crash or a failed publish left behind`,
    schedule: scheduler.ScheduleExpression.rate(job ? scheduleRate(job.everyS) : Duration.minutes(1)),
    target: new schedulerTargets.LambdaInvoke(fn, {
      role,
      retryAttempts: 0,
      // A tick not delivered within its minute is replaced by the next one.
      maxEventAge: Duration.minutes(1),
      input: scheduler.ScheduleTargetInput.fromObject(job ? { schedule: job.name } : { outbox: plan.database }),
    }),
  });
  if (job) fn.addEnvironment(ENV.schedule, job.name);
  else fn.addEnvironment(ENV.database, plan.database!);
  alarms.add(`${plan.id}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), {
    description: `${plan.id} failed`,
  });
  return schedule;
}
