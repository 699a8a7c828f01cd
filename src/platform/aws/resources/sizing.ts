import { Duration } from 'aws-cdk-lib';
import type { FunctionKind } from '../plan.ts';

/** Memory and timeout of every function, by kind. */
export const SIZING: Readonly<Record<FunctionKind, { memoryMb: number; timeout: Duration }>> = {
  http: { memoryMb: 1024, timeout: Duration.seconds(10) },
  consumer: { memoryMb: 512, timeout: Duration.seconds(30) },
  relay: { memoryMb: 256, timeout: Duration.seconds(60) },
  job: { memoryMb: 256, timeout: Duration.seconds(60) },
  // Room for the migration's bounded retries (a proxy or login not ready yet) and its answer.
  migrate: { memoryMb: 256, timeout: Duration.minutes(5) },
};

/** The queue must stay invisible while a batch runs; AWS recommends six times the function timeout. */
export const CONSUMER_VISIBILITY_FACTOR = 6;
/** Lambda's SQS maximum concurrency cannot go below 2. */
export const MIN_SQS_MAX_CONCURRENCY = 2;
/** RDS Proxy listens on PostgreSQL's port; the instances behind it use another (cdk-nag RDS11). */
export const PROXY_PORT = 5432;
export const INSTANCE_PORT = 5532;
/** Lambda's own retries of a failed batch count as receives too: fewer than five dead-letters too eagerly. */
export const MIN_MAX_RECEIVE_COUNT = 5;
/** The HTTP API stage's steady rate and burst: public traffic cannot take all of the account's concurrency. */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;
/**
 * The sales function's reserved concurrency unless `-c salesReservedConcurrency` says otherwise: room for
 * the stage's burst at a few hundred milliseconds per checkout, a tenth of an account's default limit.
 */
export const DEFAULT_SALES_RESERVED_CONCURRENCY = 100;
/**
 * RDS Proxy's average wait for a database connection (microseconds, over five minutes) that raises an
 * alarm: a pooled connection is lent in well under a millisecond, a new one in tens of milliseconds.
 */
export const PROXY_BORROW_LATENCY_ALARM_US = 100_000;
