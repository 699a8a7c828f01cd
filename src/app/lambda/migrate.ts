import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { Kysely, Migration } from 'kysely';
import type { Logger } from 'pino';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { awsClientConfig } from '../../platform/aws/lambda/sdk-clients.ts';
import { migrateToLatest } from '../../platform/db/database.ts';
import { ensureReadOnlyRole, type ReadOnlyLogin } from '../../platform/db/read-only-role.ts';
import { databaseMigrations } from '../databases.ts';
import { readRdsLogin, runtimeFromEnvironment } from './runtime.ts';

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export type Respond = (event: CloudFormationCustomResourceEvent, response: CustomResourceResponse) => Promise<void>;

/** Answers CloudFormation on the pre-signed URL it gave; without an answer the stack waits an hour. */
const respondToCloudFormation: Respond = async (event, response) => {
  const body = JSON.stringify({
    ...response,
    Reason: response.Reason?.slice(0, 3000),
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The URL is signed without a content type; sending one would break the signature.
  const answer = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!answer.ok) throw new Error(`CloudFormation did not take the response: ${answer.status}`);
};

/**
 * SQLSTATE classes that mean "not connected (yet)", not "the migration is wrong": connection exceptions
 * (08), authentication (28: a password mid-rotation behind RDS Proxy), insufficient resources (53: too
 * many connections) and the server shutting down or restarting (57P01–57P03).
 */
const TRANSIENT_SQLSTATE = /^(08|28|53)[0-9A-Z]{3}$|^57P0[1-3]$/;
/** Socket-level failures: the proxy or the network is not there yet. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// pg reports its own connect timeout and a dropped socket without a code.
const TRANSIENT_PG_MESSAGES = /timeout expired|connection terminated|timeout exceeded when trying to connect/i;

/** Whether a failed migration is worth another try: the database was not reachable or refused the login. */
export function isTransientConnectionError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NETWORK_CODES.has(code))) return true;
    if (e instanceof AggregateError && e.errors.some(isTransientConnectionError)) return true;
    if (typeof code !== 'string' && e instanceof Error && TRANSIENT_PG_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** How long transient failures are retried: doubling waits, capped, within a total budget. */
export interface RetryPolicy {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Total time spent retrying before the custom resource answers FAILED. */
  readonly budgetMs: number;
}

export const MIGRATION_RETRY: RetryPolicy = { firstDelayMs: 2_000, maxDelayMs: 20_000, budgetMs: 120_000 };

/** What the function keeps to answer CloudFormation itself before Lambda would stop it. */
const ANSWER_MARGIN_MS = 30_000;

export interface MigrationHandlerOptions {
  readonly database: string;
  readonly db: Kysely<any>;
  readonly migrations: Record<string, Migration>;
  readonly logger: Logger;
  readonly respond?: Respond;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The login of the database's read-only role (its secret), made or repaired after the migrations on
   * every Create and Update; the admin read functions connect with it.
   */
  readonly readOnlyLogin?: () => Promise<ReadOnlyLogin>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The schema migration custom resource: on Create and Update, applies every pending migration of one
 * database (Kysely's migrator, the same migrations the embedded system runs); on Delete, does nothing —
 * data outlives the stack's resources. A fresh RDS Proxy may refuse connections or logins for a while,
 * so those failures are retried with a bounded backoff (and never past the function's timeout, so
 * CloudFormation always gets an answer); any other failure answers FAILED at once.
 */
export function createMigrationHandler(options: MigrationHandlerOptions) {
  const respond = options.respond ?? respondToCloudFormation;
  const retry = options.retry ?? MIGRATION_RETRY;
  const sleep = options.sleep ?? sleepFor;
  const physicalResourceId = `schema-${options.database}`;
  return async (event: CloudFormationCustomResourceEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
    if (event.RequestType === 'Delete') {
      await respond(event, { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId });
      return;
    }
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await migrateToLatest(options.db, options.migrations);
        const reader = options.readOnlyLogin ? await options.readOnlyLogin() : undefined;
        if (reader) await ensureReadOnlyRole(options.db, reader);
        options.logger.info(
          { database: options.database, applied, readOnlyRole: reader?.username, attempt },
          'schema migrated',
        );
        await respond(event, {
          Status: 'SUCCESS',
          PhysicalResourceId: physicalResourceId,
          Data: { applied: applied.join(','), ...(reader ? { readOnlyRole: reader.username } : {}) },
        });
        return;
      } catch (error) {
        const delay = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempt - 1));
        const transient = isTransientConnectionError(error);
        const withinBudget =
          waited + delay <= retry.budgetMs && context.getRemainingTimeInMillis() > delay + ANSWER_MARGIN_MS;
        if (!transient || !withinBudget) {
          options.logger.error(
            { err: error, database: options.database, attempt, transient, waitedMs: waited },
            'schema migration failed',
          );
          const after = transient
            ? ` (still failing after ${attempt} attempts over ${Math.round(waited / 1000)} s)`
            : '';
          await respond(event, {
            Status: 'FAILED',
            Reason: `migrating ${options.database}: ${(error as Error).message}${after}`,
            PhysicalResourceId: physicalResourceId,
          });
          return;
        }
        options.logger.warn(
          { err: error, database: options.database, attempt, retryInMs: delay },
          'database not reachable yet; retrying',
        );
        await sleep(delay);
        waited += delay;
      }
    }
  };
}

/**
 * CloudFormation custom resource → migrate one database (DONUT_DATABASE). Whatever fails, CloudFormation
 * gets an answer; a Delete never needs the database.
 */
export const handler = lambdaEntry<CloudFormationCustomResourceEvent, void>(async (pt, logger) => {
  let migrate: ReturnType<typeof createMigrationHandler> | undefined;
  return async (event, context) => {
    if (event.RequestType === 'Delete') {
      await respondToCloudFormation(event, { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId });
      return;
    }
    try {
      if (!migrate) {
        const env = readLambdaEnvironment();
        const database = required(env.database, ENV.database);
        const migrations = (databaseMigrations as Readonly<Record<string, Record<string, Migration>>>)[database];
        if (!migrations) throw new Error(`no schema registered for database ${database} (app/databases.ts)`);
        const runtime = await runtimeFromEnvironment(pt, logger, env);
        const readerSecretArn = env.readerSecretArn;
        const secrets = pt.tracer.captureAWSv3Client(new SecretsManagerClient(awsClientConfig()));
        migrate = createMigrationHandler({
          database,
          db: runtime.database(database),
          migrations,
          logger,
          ...(readerSecretArn ? { readOnlyLogin: () => readRdsLogin(secrets, readerSecretArn) } : {}),
        });
      }
    } catch (error) {
      logger.error({ err: error }, 'migration function could not start');
      await respondToCloudFormation(event, {
        Status: 'FAILED',
        Reason: `migration function could not start: ${(error as Error).message}`,
        // An update keeps its id, so a failure never reads as a replacement.
        PhysicalResourceId: event.RequestType === 'Update' ? event.PhysicalResourceId : 'schema-not-created',
      });
      return;
    }
    await migrate(event, context);
  };
});
