import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_PLACEHOLDERS, buildApp, FEATURE_FLAGS, placeholderContextKeys } from '../../src/platform/aws/app.ts';
import { type DeploymentParameters, DonutStatesStack, defaultParameters } from '../../src/platform/aws/stack.ts';
import { topology } from '../../src/topology.ts';
import { SKIP_BUNDLING } from './synth.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const real = {
  factoryUrl: 'https://factory.donut-states.co',
  mailFrom: 'shelves@donut-states.co',
  adManagerEmail: 'ads@donut-states.co',
};

describe('a deployable stack has its context keys', () => {
  it('refuses to synthesize with the example factory and mail addresses, naming every missing -c key', () => {
    expect(() => buildApp({ context: SKIP_BUNDLING })).toThrow(
      /Refusing to synthesize a deployable stack: factoryUrl, mailFrom, adManagerEmail .*-c factoryUrl=… -c mailFrom=… -c adManagerEmail=….*allowPlaceholders=true/,
    );
    expect(() => buildApp({ context: { ...SKIP_BUNDLING, factoryUrl: real.factoryUrl } })).toThrow(
      /: mailFrom, adManagerEmail are missing/,
    );
    // Given, but still an example.
    expect(() =>
      buildApp({ context: { ...SKIP_BUNDLING, ...real, factoryUrl: defaultParameters.factoryUrl } }),
    ).toThrow(/: factoryUrl is missing or still an example value\. Give -c factoryUrl=… \(/);
  });

  it('tells placeholders and malformed values from real ones', () => {
    const keys = (p: Partial<DeploymentParameters>) => placeholderContextKeys({ ...defaultParameters, ...real, ...p });
    expect(keys({})).toEqual([]);
    expect(placeholderContextKeys(defaultParameters)).toEqual(['factoryUrl', 'mailFrom', 'adManagerEmail']);
    expect(keys({ factoryUrl: 'https://factory.example.org/' })).toEqual(['factoryUrl']);
    expect(keys({ factoryUrl: 'http://localhost:3100' })).toEqual(['factoryUrl']);
    expect(keys({ factoryUrl: 'factory.donut-states.co' })).toEqual(['factoryUrl']);
    expect(keys({ factoryUrl: 'ftp://factory.donut-states.co' })).toEqual(['factoryUrl']);
    expect(keys({ factoryUrl: 'https://legacy.factory.internal:8443' })).toEqual([]);
    expect(keys({ mailFrom: 'shelves@shop.example' })).toEqual(['mailFrom']);
    expect(keys({ adManagerEmail: 'not an address' })).toEqual(['adManagerEmail']);
    expect(keys({ adManagerEmail: 'ads@sub.example.com' })).toEqual(['adManagerEmail']);
  });

  it('synthesizes for inspection with allowPlaceholders=true, with a warning on the stack', () => {
    const { stack } = buildApp({ context: { ...SKIP_BUNDLING, [ALLOW_PLACEHOLDERS]: 'true' } });
    const warnings = stack.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/not deployable as is: factoryUrl, mailFrom, adManagerEmail/)]);
  });

  it('takes the sales function reserved concurrency from context: a number, or off for none', () => {
    const reservedOf = (value?: string) => {
      const { stack } = buildApp({
        context: {
          ...SKIP_BUNDLING,
          ...real,
          ...(value === undefined ? {} : { salesReservedConcurrency: value }),
        },
      });
      // The L1 resource as it will be written to the template, without synthesizing the whole app.
      return (stack.functions.get('HttpSales')!.fn.node.defaultChild as lambda.CfnFunction)
        .reservedConcurrentExecutions;
    };
    expect(reservedOf()).toBe(defaultParameters.salesReservedConcurrency);
    expect(reservedOf('25')).toBe(25);
    expect(reservedOf('off')).toBeUndefined();
    expect(() => reservedOf('0')).toThrow(/salesReservedConcurrency must be a positive integer or off/);
    expect(() => reservedOf('many')).toThrow(/salesReservedConcurrency/);
  });

  it('keeps npm run synth and npm run destroy working without the keys, and deploy refusing', () => {
    const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.synth).toContain(`-c ${ALLOW_PLACEHOLDERS}=true`);
    expect(scripts.destroy).toContain(`-c ${ALLOW_PLACEHOLDERS}=true`);
    expect(scripts.deploy).not.toContain(ALLOW_PLACEHOLDERS);
    const cdk = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
    expect(cdk.context).not.toHaveProperty(ALLOW_PLACEHOLDERS);
    expect(cdk.context).toMatchObject(FEATURE_FLAGS);
  });
});

/** Names a property gives that are not global to an account and region: per resource, per metric, a label. */
const NOT_GLOBAL = new Set([
  'PolicyName', // an inline policy's name, per role
  'DisplayName',
  'MetricName',
  'DBName', // a database inside its own instance
  'TargetGroupName', // a proxy's only target group, always "default"
  'StageName',
]);
// Subtrees whose "names" are references or labels, not resources' names.
const SKIP = new Set(['Dimensions', 'PolicyDocument', 'Environment', 'AssumeRolePolicyDocument']);

/** Every explicit physical name in a template: `*Name`, `*Identifier`, SES identities, at any depth. */
function physicalNames(template: Template): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const walk = (where: string, value: unknown): void => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(`${where}[${i}]`, v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      if (SKIP.has(key)) continue;
      if (
        typeof v === 'string' &&
        /(Name|Identifier|^EmailIdentity|^functionName)$/.test(key) &&
        !NOT_GLOBAL.has(key)
      ) {
        names.set(v, [...(names.get(v) ?? []), `${where}.${key}`]);
      } else walk(`${where}.${key}`, v);
    }
  };
  for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, any>)) {
    walk(`${id}(${resource.Type})`, resource.Properties);
  }
  return names;
}

describe('a second copy of the stack', () => {
  let outdir: string;
  let first: Template;
  let second: Template;
  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'donut-cdk-'));
    const app = new App({ context: { ...FEATURE_FLAGS, ...SKIP_BUNDLING }, outdir });
    const a = new DonutStatesStack(app, 'DonutStates', { topology, parameters: real });
    // Same shop, same addresses: the identities the first copy verified are referred to, not created again.
    const b = new DonutStatesStack(app, 'DonutStatesStaging', {
      topology,
      parameters: { ...real, sesIdentities: 'existing' },
    });
    first = Template.fromStack(a);
    second = Template.fromStack(b);
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes beside the first with no physical name in common', () => {
    const a = physicalNames(first);
    const b = physicalNames(second);
    // The check sees the names that could collide: proxies, instances, queues, identities, the API.
    for (const type of ['DBProxyName', 'DBInstanceIdentifier', 'QueueName', 'EmailIdentity', 'functionName']) {
      expect(
        [...a.values()].flat().some((where) => where.endsWith(`.${type}`)),
        type,
      ).toBe(true);
    }
    const common = [...a.keys()].filter((name) => b.has(name)).map((name) => `${name} (${a.get(name)!.join(', ')})`);
    expect(common).toEqual([]);
  });

  it('names each RDS Proxy after its stack, and the copy grants mail on the existing identities', () => {
    first.allResourcesProperties('AWS::RDS::DBProxy', { DBProxyName: Match.stringLikeRegexp('^donutstates-') });
    second.allResourcesProperties('AWS::RDS::DBProxy', {
      DBProxyName: Match.stringLikeRegexp('^donutstatesstaging-'),
    });
    second.resourceCountIs('AWS::SES::EmailIdentity', 0);
    first.resourceCountIs('AWS::SES::EmailIdentity', 2);
    const sendMail = JSON.stringify(
      Object.values(second.findResources('AWS::IAM::Policy')).flatMap((p: any) =>
        p.Properties.PolicyDocument.Statement.filter((s: any) => s.Action === 'ses:SendEmail'),
      ),
    );
    expect(sendMail).toContain(':identity/shelves@donut-states.co');
    expect(sendMail).toContain(':identity/ads@donut-states.co');
  });
});
