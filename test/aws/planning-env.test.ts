import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../src/app/lambda/runtime.ts';
import { buildApp } from '../../src/platform/aws/app.ts';
import { ENV, readLambdaEnvironment } from '../../src/platform/aws/lambda/env.ts';
import { planFunctions } from '../../src/platform/aws/plan.ts';
import { loadConfig } from '../../src/platform/local/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { topology } from '../../src/topology.ts';
import { logicalId, TEST_CONTEXT } from './synth.ts';

/** The planning settings, by the name both configurations give them, and their variables. */
const PLANNING = {
  planningDefaultLeadTimeS: ENV.planningDefaultLeadTimeS,
  planningDemandHalfLifeS: ENV.planningDemandHalfLifeS,
  planningCoverS: ENV.planningCoverS,
} as const;

/** The variables every Lambda needs besides the ones under test. */
const REQUIRED = {
  [ENV.factoryUrl]: 'https://factory.example.com',
  [ENV.publicUrl]: 'https://abc.execute-api.eu-west-1.amazonaws.com',
  [ENV.adManagerEmail]: 'ads@example.com',
  [ENV.mailFrom]: 'shop@example.com',
};

function environmentOf(context: Record<string, unknown>, outdir: string): Map<string, Record<string, unknown>> {
  const { stack } = buildApp({ context: { ...TEST_CONTEXT, ...context }, outdir });
  const resources = Template.fromStack(stack).toJSON().Resources;
  return new Map(
    planFunctions(topology).map((plan) => [
      plan.id,
      resources[logicalId(stack, stack.functions.get(plan.id)!.fn)].Properties.Environment.Variables,
    ]),
  );
}

describe('replenishment planning settings on AWS', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'donut-planning-env-'));
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reads each PLANNING_* variable the local configuration reads, into the setting of the same name', async () => {
    for (const [setting, variable] of Object.entries(PLANNING)) {
      const local = await loadConfig({ DATA_DIR: dataDir, [variable]: '42.5' });
      const lambda = readLambdaEnvironment({ ...REQUIRED, [variable]: '42.5' });
      expect(local[setting as keyof typeof PLANNING], variable).toBe(42.5);
      expect(lambda.settings[setting as keyof typeof PLANNING], variable).toBe(42.5);
    }
    expect(() => readLambdaEnvironment({ ...REQUIRED, [ENV.planningCoverS]: '0' })).toThrow(/PLANNING_COVER_S/);
  });

  it('puts the planning deployment parameters on every function, and a sales Lambda hands them to its service', {
    timeout: 180_000,
  }, () => {
    const environments = environmentOf(
      { planningDefaultLeadTimeS: '45', planningDemandHalfLifeS: '7.5', planningCoverS: '600' },
      path.join(dataDir, 'configured'),
    );
    const expected = {
      [ENV.planningDefaultLeadTimeS]: '45',
      [ENV.planningDemandHalfLifeS]: '7.5',
      [ENV.planningCoverS]: '600',
    };
    for (const [id, env] of environments) expect(env, id).toMatchObject(expected);

    const sales = planFunctions(topology).filter((plan) => plan.service === 'sales');
    expect(sales.map((plan) => plan.kind)).toEqual(expect.arrayContaining(['http', 'job']));
    for (const plan of sales) {
      const planning = Object.fromEntries(
        Object.values(PLANNING).map((variable) => [variable, environments.get(plan.id)![variable]]),
      );
      const env = readLambdaEnvironment({ ...REQUIRED, ...planning });
      const runtime = new LambdaRuntime({
        topology,
        logger: createLogger('silent'),
        settings: env.settings,
        callbackSecret: undefined,
        adminToken: undefined,
        databases: new Map(),
        clients: {} as never,
        topicArn: undefined,
        queues: [],
      });
      expect(runtime.wiring.config, plan.id).toMatchObject({
        planningDefaultLeadTimeS: 45,
        planningDemandHalfLifeS: 7.5,
        planningCoverS: 600,
      });
    }
  });

  it('leaves the variables out when not given, so the service defaults apply as locally, and refuses a bad one', {
    timeout: 180_000,
  }, () => {
    for (const [id, env] of environmentOf({}, path.join(dataDir, 'default'))) {
      for (const variable of Object.values(PLANNING)) expect(env[variable], `${id} ${variable}`).toBeUndefined();
    }
    expect(() =>
      buildApp({ context: { ...TEST_CONTEXT, planningCoverS: '-5' }, outdir: path.join(dataDir, 'refused') }),
    ).toThrow(/context planningCoverS/);
  });
});
