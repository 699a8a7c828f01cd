import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

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
  /** Overrides every scheduled job's interval from the topology (tests use 1). */
  SCHEDULE_INTERVAL_S: PositiveInt.optional(),
  /** The embedded SNS/SQS emulator; 0 picks a free port. */
  SQS_PORT: Port.default(0),
  /** The embedded SES v2 mail sink; 0 picks a free port. */
  MAIL_PORT: Port.default(0),
  FACTORY_TIMEOUT_MS: PositiveInt.default(3000),
  /** Built-in factory simulator: milliseconds per production stage (the real factory takes ~10 s). */
  FACTORY_STAGE_MS: z.coerce.number().int().min(0).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** 0 turns the trim off; at most an hour (a timer longer than Node allows would fire every 1 ms). */
  MEMORY_TRIM_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
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
  readonly adminTokenGenerated: boolean;
  readonly callbackSecret: string;
  readonly adManagerEmail: string;
  readonly mailFrom: string;
  readonly vipThreshold: number;
  readonly queueVisibilityTimeoutS: number | undefined;
  readonly queueMaxReceiveCount: number | undefined;
  readonly replenishmentTimeoutS: number;
  readonly marketingWebhookUrl: string | undefined;
  readonly scheduleIntervalS: number | undefined;
  readonly sqsPort: number;
  readonly mailPort: number;
  readonly logLevel: string;
  /** How often freed memory is handed back to the operating system (memory-trim.ts); 0: never. */
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
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<LocalConfig> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`invalid configuration:\n${problems}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  await mkdir(dataDir, { recursive: true });
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
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    callbackSecret: e.CALLBACK_SECRET ?? secrets.callbackSecret,
    adManagerEmail: e.AD_MANAGER_EMAIL,
    mailFrom: e.MAIL_FROM,
    vipThreshold: e.VIP_THRESHOLD,
    queueVisibilityTimeoutS: e.QUEUE_VISIBILITY_TIMEOUT_S,
    queueMaxReceiveCount: e.QUEUE_MAX_RECEIVE_COUNT,
    replenishmentTimeoutS: e.REPLENISHMENT_TIMEOUT_S,
    marketingWebhookUrl: e.MARKETING_WEBHOOK_URL,
    scheduleIntervalS: e.SCHEDULE_INTERVAL_S,
    sqsPort: e.SQS_PORT,
    mailPort: e.MAIL_PORT,
    logLevel: e.LOG_LEVEL,
    memoryTrimIntervalMs: e.MEMORY_TRIM_INTERVAL_MS,
    dashboardMaxStreams: e.DASHBOARD_MAX_STREAMS,
    dashboardIntervalMs: e.DASHBOARD_INTERVAL_MS,
  };
}

interface StoredSecrets {
  adminToken: string;
  callbackSecret: string;
}

async function loadOrCreateSecrets(dataDir: string): Promise<StoredSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as StoredSecrets;
  const secrets: StoredSecrets = {
    adminToken: randomBytes(24).toString('base64url'),
    callbackSecret: randomBytes(32).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
