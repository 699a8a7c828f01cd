import type { RecordHandler, ScheduledJob, Service } from '../platform/service.ts';
import type { QueueDeclaration, ScheduleDeclaration, ServiceName } from '../topology.ts';

/**
 * The handler a topology entry names: a queue's consumer or a schedule's job. The local pollers and
 * timers and the Lambda consumer and job functions all take it from here. The names are checked by the
 * type checker (ServiceHandlers); a topology built at run time is still checked here, at start.
 */
export function handlerOf(service: (name: ServiceName) => Service, entry: QueueDeclaration): RecordHandler;
export function handlerOf(service: (name: ServiceName) => Service, entry: ScheduleDeclaration): ScheduledJob;
export function handlerOf(
  service: (name: ServiceName) => Service,
  entry: QueueDeclaration | ScheduleDeclaration,
): RecordHandler | ScheduledJob {
  if ('consumer' in entry) {
    const { service: name, handler } = entry.consumer;
    const consumer = service(name).consumers?.[handler];
    if (!consumer) throw new Error(`queue ${entry.name}: ${name} has no consumer ${handler}`);
    return consumer;
  }
  const { service: name, handler } = entry.job;
  const job = service(name).jobs?.[handler];
  if (!job) throw new Error(`schedule ${entry.name}: ${name} has no job ${handler}`);
  return job;
}
