import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { topology as declaredTopology, type Topology } from '../../topology.ts';
import { PLANNING_SETTINGS } from './lambda/env.ts';
import { type DeploymentParameters, DonutStatesStack, defaultParameters } from './stack.ts';

/** Reads the deployment parameters from CDK context (`-c factoryUrl=…` or cdk.json), falling back to defaults. */
function parametersFromContext(app: App): DeploymentParameters {
  const text = (key: keyof DeploymentParameters): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const number = (key: keyof DeploymentParameters, fallback: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`context ${key} must be a positive integer`);
    return parsed;
  };
  const planning = (key: keyof typeof PLANNING_SETTINGS): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const parsed = PLANNING_SETTINGS[key].safeParse(value);
    if (!parsed.success) throw new Error(`context ${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data;
  };
  const flag = (key: keyof DeploymentParameters, fallback: boolean): boolean => {
    const value = text(key);
    return value === undefined ? fallback : value === 'true';
  };
  return {
    factoryUrl: text('factoryUrl') ?? defaultParameters.factoryUrl,
    factoryTimeoutMs: number('factoryTimeoutMs', defaultParameters.factoryTimeoutMs),
    adManagerEmail: text('adManagerEmail') ?? defaultParameters.adManagerEmail,
    mailFrom: text('mailFrom') ?? defaultParameters.mailFrom,
    mailDomain: text('mailDomain'),
    sesSandbox: flag('sesSandbox', defaultParameters.sesSandbox),
    sesIdentities: sesIdentities(text('sesIdentities')),
    publicUrl: text('publicUrl'),
    alarmEmail: text('alarmEmail'),
    vipThreshold: number('vipThreshold', defaultParameters.vipThreshold),
    replenishmentTimeoutS: number('replenishmentTimeoutS', defaultParameters.replenishmentTimeoutS),
    idempotencyTtlS: number('idempotencyTtlS', defaultParameters.idempotencyTtlS),
    marketingWebhookUrl: text('marketingWebhookUrl'),
    planningDefaultLeadTimeS: planning('planningDefaultLeadTimeS'),
    planningDemandHalfLifeS: planning('planningDemandHalfLifeS'),
    planningCoverS: planning('planningCoverS'),
    production: flag('production', defaultParameters.production),
    salesReservedConcurrency: reservation(text('salesReservedConcurrency')),
  };
}

/** A positive number of executions, or `off` for none (an account whose concurrency limit is too low to share). */
function reservation(value: string | undefined): number | undefined {
  if (value === undefined) return defaultParameters.salesReservedConcurrency;
  if (value === 'off') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new Error('context salesReservedConcurrency must be a positive integer or off');
  }
  return parsed;
}

/** The context keys a deployable stack must be given: their defaults only stand in for tests and inspection. */
export const DEPLOYMENT_CONTEXT_KEYS = ['factoryUrl', 'mailFrom', 'adManagerEmail'] as const;
/** Names reserved for examples and documentation (RFC 2606, RFC 6761): never a real factory or mailbox. */
const PLACEHOLDER_HOST = /(^|\.)(example|example\.(com|net|org)|invalid|test|localhost)$/i;
/** With this context key set to true, placeholders synthesize (with a warning): tests and `npm run synth`. */
export const ALLOW_PLACEHOLDERS = 'allowPlaceholders';

function hostOf(key: (typeof DEPLOYMENT_CONTEXT_KEYS)[number], value: string): string | undefined {
  if (key !== 'factoryUrl') return /^[^@\s]+@([^@\s]+)$/.exec(value)?.[1];
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The deployment context keys that are missing, malformed or still an example name. A stack deployed
 * with them would order from `factory.example.com` (every factory order dead-letters) and mail nobody.
 */
export function placeholderContextKeys(p: DeploymentParameters): string[] {
  return DEPLOYMENT_CONTEXT_KEYS.filter((key) => {
    const host = hostOf(key, p[key]);
    return host === undefined || PLACEHOLDER_HOST.test(host);
  });
}

function sesIdentities(value: string | undefined): DeploymentParameters['sesIdentities'] {
  if (value === undefined) return defaultParameters.sesIdentities;
  if (value === 'create' || value === 'existing') return value;
  throw new Error('context sesIdentities must be create or existing');
}

/**
 * Feature flags the stack relies on, set here so every app that builds it (the CLI's and the tests')
 * has them; cdk.json repeats them for the CLI. Each RDS Proxy gets a name unique to its stack.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  '@aws-cdk/aws-rds:databaseProxyUniqueResourceName': true,
};

export interface BuildOptions {
  readonly topology?: Topology;
  /** CDK context; tests pass `aws:cdk:bundling-stacks: []` to skip esbuild. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
}

/**
 * The CDK app: one stack from the topology, checked by cdk-nag's AwsSolutions pack at synth. A finding
 * that is neither fixed nor acknowledged with a reason fails the synth.
 */
export function buildApp(options: BuildOptions = {}): { app: App; stack: DonutStatesStack } {
  const app = new App({
    context: { ...FEATURE_FLAGS, ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stackName = String(app.node.tryGetContext('stackName') ?? 'DonutStates');
  const parameters = parametersFromContext(app);
  const placeholders = placeholderContextKeys(parameters);
  const allowPlaceholders = String(app.node.tryGetContext(ALLOW_PLACEHOLDERS)) === 'true';
  if (placeholders.length > 0 && !allowPlaceholders) {
    throw new Error(
      `Refusing to synthesize a deployable stack: ${placeholders.join(', ')} ${placeholders.length === 1 ? 'is' : 'are'} ` +
        `missing or still an example value. Give ${placeholders.map((key) => `-c ${key}=…`).join(' ')} ` +
        `(or keep them under "context" in cdk.json); see docs/aws.md. ` +
        `To synthesize only for inspection or tests, add -c ${ALLOW_PLACEHOLDERS}=true.`,
    );
  }
  const stack = new DonutStatesStack(app, stackName, {
    topology: options.topology ?? declaredTopology,
    parameters,
    description: 'Donut-States: event-driven shop (SNS/SQS/Lambda/RDS) generated from src/topology.ts',
    // Region and account come from the CLI's profile at deploy; synth needs neither.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (placeholders.length > 0) {
    Annotations.of(stack).addWarningV2(
      'donut-states:placeholders',
      `not deployable as is: ${placeholders.join(', ')} still ${placeholders.length === 1 ? 'is an example' : 'are examples'} (${ALLOW_PLACEHOLDERS}=true)`,
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

// `cdk synth|deploy|destroy` runs this file (cdk.json).
if (import.meta.main) buildApp().app.synth();
