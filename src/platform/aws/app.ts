import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { topology as declaredTopology, type Topology } from '../../topology.ts';
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
    publicUrl: text('publicUrl'),
    alarmEmail: text('alarmEmail'),
    vipThreshold: number('vipThreshold', defaultParameters.vipThreshold),
    replenishmentTimeoutS: number('replenishmentTimeoutS', defaultParameters.replenishmentTimeoutS),
    idempotencyTtlS: number('idempotencyTtlS', defaultParameters.idempotencyTtlS),
    marketingWebhookUrl: text('marketingWebhookUrl'),
    production: flag('production', defaultParameters.production),
  };
}

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
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stackName = String(app.node.tryGetContext('stackName') ?? 'DonutStates');
  const stack = new DonutStatesStack(app, stackName, {
    topology: options.topology ?? declaredTopology,
    parameters: parametersFromContext(app),
    description: 'Donut-States: event-driven shop (SNS/SQS/Lambda/RDS) generated from src/topology.ts',
    // Region and account come from the CLI's profile at deploy; synth needs neither.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

// `cdk synth|deploy|destroy` runs this file (cdk.json).
if (import.meta.main) buildApp().app.synth();
