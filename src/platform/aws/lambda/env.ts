import { z } from 'zod';

/**
 * The environment contract between the CDK stack (which writes these variables) and the Lambda entry
 * adapters (which read them). One place, so the two cannot disagree on a name.
 */
export const ENV = {
  service: 'DONUT_SERVICE',
  queue: 'DONUT_QUEUE',
  database: 'DONUT_DATABASE',
  schedule: 'DONUT_SCHEDULE',
  /**
   * JSON: `{ [database]: { user, endpoint, name } }`, only the databases this function may reach; it
   * logs in to the proxy as `user` with an IAM authentication token.
   */
  databases: 'DONUT_DATABASES',
  /** JSON: `[{ name, url, deadLetter: { name, url } }]`, only the queues this function may touch. */
  queues: 'DONUT_QUEUES',
  topicArn: 'DONUT_TOPIC_ARN',
  callbackSecretArn: 'DONUT_CALLBACK_SECRET_ARN',
  adminTokenSecretArn: 'DONUT_ADMIN_TOKEN_SECRET_ARN',
  /** The migration function's: the login it makes the database's read-only role for. */
  readerSecretArn: 'DONUT_READER_SECRET_ARN',
  factoryUrl: 'FACTORY_URL',
  factoryTimeoutMs: 'FACTORY_TIMEOUT_MS',
  publicUrl: 'PUBLIC_URL',
  adManagerEmail: 'AD_MANAGER_EMAIL',
  mailFrom: 'MAIL_FROM',
  vipThreshold: 'VIP_THRESHOLD',
  replenishmentTimeoutS: 'REPLENISHMENT_TIMEOUT_S',
  idempotencyTtlS: 'IDEMPOTENCY_TTL_S',
  marketingWebhookUrl: 'MARKETING_WEBHOOK_URL',
  planningDefaultLeadTimeS: 'PLANNING_DEFAULT_LEAD_TIME_S',
  planningDemandHalfLifeS: 'PLANNING_DEMAND_HALF_LIFE_S',
  planningCoverS: 'PLANNING_COVER_S',
} as const;

/**
 * Replenishment planning (docs/planning.md), in seconds and bounded as the embedded system bounds them;
 * unset, the sales service uses its defaults. The stack checks deployment parameters against the same.
 */
export const PLANNING_SETTINGS = {
  planningDefaultLeadTimeS: z.coerce.number().positive().max(86_400),
  planningDemandHalfLifeS: z.coerce.number().positive().max(86_400),
  planningCoverS: z.coerce
    .number()
    .positive()
    .max(30 * 86_400),
} as const;

const Json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

export const DatabaseEndpoint = z.object({
  /** The database user this function logs in as (the owner, or the read-only role). */
  user: z.string().min(1),
  endpoint: z.string().min(1),
  name: z.string().min(1),
});
export type DatabaseEndpoint = z.infer<typeof DatabaseEndpoint>;

export const QueueEndpoint = z.object({
  name: z.string().min(1),
  url: z.string().min(1),
  deadLetter: z.object({ name: z.string().min(1), url: z.string().min(1) }),
});

const PositiveInt = z.coerce.number().int().positive();

const LambdaEnv = z.object({
  [ENV.service]: z.string().min(1).optional(),
  [ENV.queue]: z.string().min(1).optional(),
  [ENV.database]: z.string().min(1).optional(),
  [ENV.schedule]: z.string().min(1).optional(),
  [ENV.databases]: Json(z.record(z.string(), DatabaseEndpoint)).default({}),
  [ENV.queues]: Json(z.array(QueueEndpoint)).default([]),
  [ENV.topicArn]: z.string().min(1).optional(),
  [ENV.callbackSecretArn]: z.string().min(1).optional(),
  [ENV.adminTokenSecretArn]: z.string().min(1).optional(),
  [ENV.readerSecretArn]: z.string().min(1).optional(),
  [ENV.factoryUrl]: z.url(),
  [ENV.factoryTimeoutMs]: PositiveInt.default(12_000),
  [ENV.publicUrl]: z.url(),
  [ENV.adManagerEmail]: z.email(),
  [ENV.mailFrom]: z.email(),
  [ENV.vipThreshold]: PositiveInt.default(100),
  [ENV.replenishmentTimeoutS]: PositiveInt.default(300),
  [ENV.idempotencyTtlS]: PositiveInt.max(2_000_000_000).default(86_400),
  [ENV.marketingWebhookUrl]: z.url().optional(),
  [ENV.planningDefaultLeadTimeS]: PLANNING_SETTINGS.planningDefaultLeadTimeS.optional(),
  [ENV.planningDemandHalfLifeS]: PLANNING_SETTINGS.planningDemandHalfLifeS.optional(),
  [ENV.planningCoverS]: PLANNING_SETTINGS.planningCoverS.optional(),
});

/** What a Lambda reads from its environment; secrets are still ARNs here, resolved at cold start. */
export interface LambdaEnvironment {
  readonly service: string | undefined;
  readonly queue: string | undefined;
  readonly database: string | undefined;
  readonly schedule: string | undefined;
  readonly databases: Readonly<Record<string, DatabaseEndpoint>>;
  readonly queues: readonly z.infer<typeof QueueEndpoint>[];
  readonly topicArn: string | undefined;
  readonly callbackSecretArn: string | undefined;
  readonly adminTokenSecretArn: string | undefined;
  readonly readerSecretArn: string | undefined;
  readonly settings: PlatformSettings;
}

/** Plain (non-secret) settings, the same names as the embedded system's environment variables. */
export interface PlatformSettings {
  readonly factoryUrl: string;
  readonly factoryTimeoutMs: number;
  readonly publicUrl: string;
  readonly adManagerEmail: string;
  readonly mailFrom: string;
  readonly vipThreshold: number;
  readonly replenishmentTimeoutS: number;
  readonly idempotencyTtlS: number;
  readonly marketingWebhookUrl: string | undefined;
  /** Replenishment planning; undefined: the sales service's default. */
  readonly planningDefaultLeadTimeS?: number | undefined;
  readonly planningDemandHalfLifeS?: number | undefined;
  readonly planningCoverS?: number | undefined;
}

export function readLambdaEnvironment(env: NodeJS.ProcessEnv = process.env): LambdaEnvironment {
  const parsed = LambdaEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid Lambda environment: ${problems}`);
  }
  const e = parsed.data;
  return {
    service: e[ENV.service],
    queue: e[ENV.queue],
    database: e[ENV.database],
    schedule: e[ENV.schedule],
    databases: e[ENV.databases],
    queues: e[ENV.queues],
    topicArn: e[ENV.topicArn],
    callbackSecretArn: e[ENV.callbackSecretArn],
    adminTokenSecretArn: e[ENV.adminTokenSecretArn],
    readerSecretArn: e[ENV.readerSecretArn],
    settings: {
      factoryUrl: e[ENV.factoryUrl],
      factoryTimeoutMs: e[ENV.factoryTimeoutMs],
      publicUrl: e[ENV.publicUrl],
      adManagerEmail: e[ENV.adManagerEmail],
      mailFrom: e[ENV.mailFrom],
      vipThreshold: e[ENV.vipThreshold],
      replenishmentTimeoutS: e[ENV.replenishmentTimeoutS],
      idempotencyTtlS: e[ENV.idempotencyTtlS],
      marketingWebhookUrl: e[ENV.marketingWebhookUrl],
      planningDefaultLeadTimeS: e[ENV.planningDefaultLeadTimeS],
      planningDemandHalfLifeS: e[ENV.planningDemandHalfLifeS],
      planningCoverS: e[ENV.planningCoverS],
    },
  };
}

/** The one name a kind of function is about (its service, queue, database or schedule), or a clear failure. */
export function required(value: string | undefined, variable: string): string {
  if (!value) throw new Error(`${variable} is not set for this function`);
  return value;
}
