import type { SQSRecord } from 'aws-lambda';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { ConsumerName, JobName, ServiceName } from '../topology.ts';

/** Handles one SQS record; throwing fails that record only (it is retried, then dead-lettered). */
export type RecordHandler = (record: SQSRecord) => Promise<void>;

/** A scheduled job: runs on a timer locally, on an EventBridge schedule on AWS. */
export type ScheduledJob = () => Promise<unknown>;

/** What a service hands the platform: an HTTP app for its routes, handlers for its queues, scheduled jobs. */
export interface Service<Consumers extends string = string, Jobs extends string = string> {
  readonly http?: Hono;
  readonly consumers?: Readonly<Record<Consumers, RecordHandler>>;
  readonly jobs?: Readonly<Record<Jobs, ScheduledJob>>;
}

/** A service with exactly the consumers and jobs the topology may name for it (ServiceHandlers). */
export type ServiceOf<S extends ServiceName> = Service<ConsumerName<S>, JobName<S>>;

export type { Logger };

/** Called after a transaction that wrote outbox rows commits, so the relay publishes without waiting for a sweep. */
export type OutboxSignal = () => void;

/** Sends one message to a queue declared in the topology (by name), outside the topic. */
export type QueueSender = (queueName: string, body: string) => Promise<void>;
