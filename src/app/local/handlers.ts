import type { Logger } from 'pino';
import type { ProvisionedMessaging } from '../../platform/local/provision.ts';
import type { AwsClients } from '../../platform/local/queue-emulator.ts';
import { QueuePoller } from '../../platform/local/queue-poller.ts';
import type { SystemMetrics } from '../../platform/metrics.ts';
import { createSqsBatchHandler } from '../../platform/sqs-batch.ts';
import type { Topology } from '../../topology.ts';
import { handlerOf } from '../handlers.ts';
import type { Services } from '../services.ts';

/** One poller group per queue of the topology, each feeding its consumer in batches, as Lambda would. */
export function startPollers(
  topology: Topology,
  services: Services,
  messaging: ProvisionedMessaging,
  clients: AwsClients,
  logger: Logger,
  metrics: SystemMetrics,
): QueuePoller[] {
  return topology.queues.map((declaration) => {
    const recordHandler = handlerOf((name) => services[name], declaration);
    const queue = messaging.queues.get(declaration.name)!;
    // The queue is named once, here: the poller's lines and the failed records' add no field of their own.
    const queueLogger = logger.child({ queue: declaration.name });
    const poller = new QueuePoller({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: createSqsBatchHandler(recordHandler, queueLogger),
      batchSize: declaration.batchSize,
      concurrency: declaration.concurrency,
      logger: queueLogger,
      onBatch: (succeeded, failed) => metrics.consumerBatch(declaration.name, succeeded, failed),
    });
    poller.start();
    return poller;
  });
}

/** Runs each scheduled job on a timer, one run at a time; returns a stop function that awaits a running one. */
export function startSchedules(
  topology: Topology,
  services: Services,
  intervalOverrideS: number | undefined,
  logger: Logger,
): () => Promise<void> {
  const running = new Set<Promise<unknown>>();
  const timers = topology.schedules.map((schedule) => {
    const job = handlerOf((name) => services[name], schedule);
    let busy = false;
    const timer = setInterval(
      () => {
        if (busy) return;
        busy = true;
        const run = job()
          .catch((error: unknown) => logger.error({ err: error, schedule: schedule.name }, 'scheduled job failed'))
          .finally(() => {
            busy = false;
            running.delete(run);
          });
        running.add(run);
      },
      (intervalOverrideS ?? schedule.everyS) * 1000,
    );
    timer.unref();
    return timer;
  });
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.allSettled([...running]);
  };
}
