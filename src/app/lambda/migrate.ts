import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import type { Kysely, Migration } from 'kysely';
import type { Logger } from 'pino';
import { lambdaEntry } from '../../platform/aws/lambda/entry.ts';
import { ENV, readLambdaEnvironment, required } from '../../platform/aws/lambda/env.ts';
import { migrateToLatest } from '../../platform/db/database.ts';
import { databaseMigrations } from '../databases.ts';
import { runtimeFromEnvironment } from './runtime.ts';

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

// A SQLSTATE (five characters) means the database answered: the migration itself failed, retrying won't help.
const isSqlError = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);

export interface MigrationHandlerOptions {
  readonly database: string;
  readonly db: Kysely<any>;
  readonly migrations: Record<string, Migration>;
  readonly logger: Logger;
  readonly respond?: Respond;
  readonly retryDelayMs?: number;
}

/**
 * The schema migration custom resource: on Create and Update, applies every pending migration of one
 * database (Kysely's migrator, the same migrations the embedded system runs); on Delete, does nothing —
 * data outlives the stack's resources. A fresh RDS Proxy may refuse connections for a few minutes, so
 * connection failures are retried until a minute before the function's timeout.
 */
export function createMigrationHandler(options: MigrationHandlerOptions) {
  const respond = options.respond ?? respondToCloudFormation;
  const physicalResourceId = `schema-${options.database}`;
  return async (event: CloudFormationCustomResourceEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
    if (event.RequestType === 'Delete') {
      await respond(event, { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId });
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await migrateToLatest(options.db, options.migrations);
        options.logger.info({ database: options.database, applied }, 'schema migrated');
        await respond(event, {
          Status: 'SUCCESS',
          PhysicalResourceId: physicalResourceId,
          Data: { applied: applied.join(',') },
        });
        return;
      } catch (error) {
        const outOfTime = context.getRemainingTimeInMillis() < 60_000 + (options.retryDelayMs ?? 15_000);
        if (isSqlError(error) || outOfTime) {
          options.logger.error({ err: error, database: options.database, attempt }, 'schema migration failed');
          await respond(event, {
            Status: 'FAILED',
            Reason: `migrating ${options.database}: ${(error as Error).message}`,
            PhysicalResourceId: physicalResourceId,
          });
          return;
        }
        options.logger.warn(
          { err: error, database: options.database, attempt },
          'database not reachable yet; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 15_000));
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
        migrate = createMigrationHandler({ database, db: runtime.database(database), migrations, logger });
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
