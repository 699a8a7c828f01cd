import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { factoryCallWindowMs } from '../../contract/factory.ts';
import type { Topology } from '../../topology.ts';

const Port = z.coerce.number().int().min(0).max(65535);
const PositiveInt = z.coerce.number().int().positive();

/** Every setting is an environment variable (CONTRACT.md); `.env` is read too. */
const Env = z.object({
  PORT: Port.default(3000),
  FACTORY_PORT: Port.default(4000),
  FACTORY_URL: z.url().optional(),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: z.string().min(1).optional(),
  CUSTOMERS_DATABASE_URL: z.string().min(1).optional(),
  /** The notifications service's small sent-mail ledger; embedded PGlite without it. */
  NOTIFICATIONS_DATABASE_URL: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(8, 'ADMIN_TOKEN must be at least 8 characters').optional(),
  CALLBACK_SECRET: z.string().min(16, 'CALLBACK_SECRET must be at least 16 characters').optional(),
  AD_MANAGER_EMAIL: z.email().default('ad-manager@donut-states.example'),
  MAIL_FROM: z.email().default('shelves@donut-states.example'),
  VIP_THRESHOLD: PositiveInt.default(100),
  QUEUE_VISIBILITY_TIMEOUT_S: PositiveInt.max(43200).optional(),
  QUEUE_MAX_RECEIVE_COUNT: PositiveInt.max(1000).optional(),
  /** The external marketing system told about each new VIP; unset: nobody is told. */
  MARKETING_WEBHOOK_URL: z.url().optional(),
  REPLENISHMENT_TIMEOUT_S: PositiveInt.default(300),
  /** How long a placed order is remembered under its customer's Idempotency-Key. */
  IDEMPOTENCY_TTL_S: PositiveInt.max(2_000_000_000).default(86_400),
  /** Replenishment planning (docs/planning.md): lead time assumed until a factory has delivered a few times. */
  PLANNING_DEFAULT_LEAD_TIME_S: z.coerce.number().positive().max(86_400).optional(),
  /** How fast measured demand follows a surge and forgets it: the half-life of its weighting. */
  PLANNING_DEMAND_HALF_LIFE_S: z.coerce.number().positive().max(86_400).optional(),
  /** How long of demand a planned order covers (at least one lead time). */
  PLANNING_COVER_S: z.coerce
    .number()
    .positive()
    .max(30 * 86_400)
    .optional(),
  /** Overrides every scheduled job's interval from the topology (tests use 1). */
  SCHEDULE_INTERVAL_S: PositiveInt.optional(),
  /** The embedded SNS/SQS emulator; 0 picks a free port. */
  SQS_PORT: Port.default(0),
  /** The embedded SES v2 mail sink; 0 picks a free port. */
  MAIL_PORT: Port.default(0),
  /**
   * How long a factory order waits for the answer. The factory is slow by definition; an order that timed
   * out after sending may have been accepted and is never sent again, so this is generous.
   */
  FACTORY_TIMEOUT_MS: PositiveInt.max(600_000).default(12_000),
  /** Built-in factory simulator: milliseconds per production stage (the real factory takes ~10 s). */
  FACTORY_STAGE_MS: z.coerce.number().int().min(0).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Off (0) unless set: the trim reaches glibc through Node's experimental `node:ffi`. At most an hour (a
   * timer longer than Node allows would fire every 1 ms).
   */
  MEMORY_TRIM_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(0),
  HOST: z.string().default('0.0.0.0'),
  /** Live dashboard event streams open at once; one more gets 429. */
  DASHBOARD_MAX_STREAMS: PositiveInt.max(100_000).default(100),
  /** How often open dashboards get a snapshot (tests use a few ms). */
  DASHBOARD_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
});

export interface LocalConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly publicUrl: string | undefined;
  readonly factory: {
    /** Undefined: run the built-in simulator on `simulatorPort` and use it. */
    readonly url: string | undefined;
    readonly simulatorPort: number;
    readonly simulatorStageMs: number;
    readonly timeoutMs: number;
  };
  readonly databaseUrl: string | undefined;
  readonly customersDatabaseUrl: string | undefined;
  readonly notificationsDatabaseUrl: string | undefined;
  readonly adminToken: string;
  /**
   * Where the admin token came from: `generated` by this start (and stored in secrets.json), `stored`
   * there by an earlier one, or the `environment` (ADMIN_TOKEN).
   */
  readonly adminTokenSource: 'generated' | 'stored' | 'environment';
  readonly callbackSecret: string;
  readonly adManagerEmail: string;
  readonly mailFrom: string;
  readonly vipThreshold: number;
  readonly queueVisibilityTimeoutS: number | undefined;
  readonly queueMaxReceiveCount: number | undefined;
  readonly replenishmentTimeoutS: number;
  readonly idempotencyTtlS: number;
  readonly marketingWebhookUrl: string | undefined;
  readonly scheduleIntervalS: number | undefined;
  readonly planningDefaultLeadTimeS: number | undefined;
  readonly planningDemandHalfLifeS: number | undefined;
  readonly planningCoverS: number | undefined;
  readonly sqsPort: number;
  readonly mailPort: number;
  readonly logLevel: string;
  /** How often freed memory is handed back to the operating system (process-tuning/memory-trim.ts); 0: never. */
  readonly memoryTrimIntervalMs: number;
  readonly dashboardMaxStreams: number;
  readonly dashboardIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) without overriding variables already set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * Builds the configuration from the environment. Secrets not given are generated once and kept in
 * DATA_DIR/secrets.json, so a restart keeps the admin token and still verifies callbacks it signed.
 * A DATA_DIR it creates is its owner's alone (0700); secrets.json is written whole (a crash leaves the
 * old file or none, never half of one) with mode 0600, and a ConfigError refuses a secrets.json that
 * other users may read or write.
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<LocalConfig> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`invalid configuration:\n${problems}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  // Databases, queued messages (customer ids), mail and secrets: nobody else's to read.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secrets = await loadOrCreateSecrets(dataDir);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    publicUrl: e.PUBLIC_URL,
    factory: {
      url: e.FACTORY_URL,
      simulatorPort: e.FACTORY_PORT,
      simulatorStageMs: e.FACTORY_STAGE_MS,
      timeoutMs: e.FACTORY_TIMEOUT_MS,
    },
    databaseUrl: e.DATABASE_URL,
    customersDatabaseUrl: e.CUSTOMERS_DATABASE_URL,
    notificationsDatabaseUrl: e.NOTIFICATIONS_DATABASE_URL,
    adminToken: e.ADMIN_TOKEN ?? secrets.adminToken,
    adminTokenSource: e.ADMIN_TOKEN !== undefined ? 'environment' : secrets.generated ? 'generated' : 'stored',
    callbackSecret: e.CALLBACK_SECRET ?? secrets.callbackSecret,
    adManagerEmail: e.AD_MANAGER_EMAIL,
    mailFrom: e.MAIL_FROM,
    vipThreshold: e.VIP_THRESHOLD,
    queueVisibilityTimeoutS: e.QUEUE_VISIBILITY_TIMEOUT_S,
    queueMaxReceiveCount: e.QUEUE_MAX_RECEIVE_COUNT,
    replenishmentTimeoutS: e.REPLENISHMENT_TIMEOUT_S,
    idempotencyTtlS: e.IDEMPOTENCY_TTL_S,
    marketingWebhookUrl: e.MARKETING_WEBHOOK_URL,
    scheduleIntervalS: e.SCHEDULE_INTERVAL_S,
    planningDefaultLeadTimeS: e.PLANNING_DEFAULT_LEAD_TIME_S,
    planningDemandHalfLifeS: e.PLANNING_DEMAND_HALF_LIFE_S,
    planningCoverS: e.PLANNING_COVER_S,
    sqsPort: e.SQS_PORT,
    mailPort: e.MAIL_PORT,
    logLevel: e.LOG_LEVEL,
    memoryTrimIntervalMs: e.MEMORY_TRIM_INTERVAL_MS,
    dashboardMaxStreams: e.DASHBOARD_MAX_STREAMS,
    dashboardIntervalMs: e.DASHBOARD_INTERVAL_MS,
  };
}

/**
 * The admin token as the start banner shows it: whole only when this start generated it (the operator
 * has no other way to learn it), otherwise its first characters, enough to tell which one is in use.
 */
export function adminTokenForDisplay(config: Pick<LocalConfig, 'adminToken' | 'adminTokenSource' | 'dataDir'>): string {
  const masked = `${config.adminToken.slice(0, 3)}…`;
  const file = path.join(config.dataDir, 'secrets.json');
  switch (config.adminTokenSource) {
    case 'generated':
      return `${config.adminToken}   (generated now, kept in ${file})`;
    case 'stored':
      return `${masked}   (kept in ${file})`;
    case 'environment':
      return `${masked}   (from ADMIN_TOKEN)`;
  }
}

const StoredSecrets = z.object({ adminToken: z.string().min(8), callbackSecret: z.string().min(16) });
type StoredSecrets = z.infer<typeof StoredSecrets>;

async function loadOrCreateSecrets(dataDir: string): Promise<StoredSecrets & { generated: boolean }> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const { mode } = await stat(file);
    if ((mode & 0o066) !== 0) {
      throw new ConfigError(
        `${file} can be read or written by other users (mode ${(mode & 0o777).toString(8)}); it holds the admin ` +
          `token and the callback secret.\nFix: chmod 600 ${file}` +
          ' (and, if someone else may have read it, set a new ADMIN_TOKEN)',
      );
    }
    const parsed = StoredSecrets.safeParse(parseJson(await readFile(file, 'utf8')));
    if (!parsed.success) {
      throw new ConfigError(
        `${file} does not hold the secrets (adminToken, callbackSecret) as JSON.\n` +
          'Fix: restore it, or delete it to generate new ones (callbacks signed with the old secret will then be refused)',
      );
    }
    return { ...parsed.data, generated: false };
  }
  const secrets: StoredSecrets = {
    adminToken: randomBytes(24).toString('base64url'),
    callbackSecret: randomBytes(32).toString('base64url'),
  };
  await writeWhole(file, JSON.stringify(secrets, null, 2), 0o600);
  return { ...secrets, generated: true };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Writes a new file under a temporary name, flushed, then renames it into place: readers see all or nothing. */
async function writeWhole(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  // `wx`: never reuse a file someone else created (a planted one could be readable by them).
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Refuses a configuration where a queue whose consumer calls the factory would hand a message to a second
 * consumer while the first still waits on the factory: its visibility timeout (QUEUE_VISIBILITY_TIMEOUT_S,
 * else the topology's) must be longer than a whole factory call, FACTORY_TIMEOUT_MS plus its margin.
 */
export function checkFactoryQueueVisibility(
  config: Pick<LocalConfig, 'queueVisibilityTimeoutS' | 'factory'>,
  topology: Topology,
): void {
  const windowMs = factoryCallWindowMs(config.factory.timeoutMs);
  const problems = topology.queues
    .filter((queue) => queue.callsFactory)
    .map((queue) => ({ queue, visibilityS: config.queueVisibilityTimeoutS ?? queue.visibilityTimeoutS }))
    .filter(({ visibilityS }) => visibilityS * 1000 <= windowMs)
    .map(
      ({ queue, visibilityS }) =>
        `  queue ${queue.name}: visibility timeout ${visibilityS} s` +
        `${config.queueVisibilityTimeoutS === undefined ? '' : ' (QUEUE_VISIBILITY_TIMEOUT_S)'} is not longer than a ` +
        `factory call of ${windowMs} ms (FACTORY_TIMEOUT_MS ${config.factory.timeoutMs} plus a quarter)`,
    );
  if (problems.length === 0) return;
  throw new ConfigError(
    `invalid configuration:\n${problems.join('\n')}\n` +
      '  a message would reach a second consumer while the first still waits on the factory; ' +
      `set QUEUE_VISIBILITY_TIMEOUT_S above ${Math.ceil(windowMs / 1000)} or lower FACTORY_TIMEOUT_MS`,
  );
}
