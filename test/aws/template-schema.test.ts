import { describe, expect, it } from 'vitest';
import { type Template, validateTemplate } from './template-schema.ts';

/** A small valid template in the synthesized template's style: a queue, its DLQ, a function reading it. */
function validTemplate(): {
  Resources: Record<string, any>;
  Parameters: Record<string, any>;
  Outputs: Record<string, any>;
} {
  return {
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' } },
    Resources: {
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600 } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          VisibilityTimeout: '180', // CloudFormation takes a numeric string for a number
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
          Tags: [{ Key: 'app', Value: 'donut-states' }],
        },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax
          Code: { S3Bucket: { 'Fn::Sub': 'cdk-assets-${AWS::AccountId}-${AWS::Region}' }, S3Key: 'bundle.zip' },
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          MemorySize: 512,
          Environment: { Variables: { QUEUE_URL: { Ref: 'Queue' }, STAGE: { 'Fn::If': ['IsProd', 'prod', 'dev'] } } },
        },
        DependsOn: ['Role'],
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': 'Queue.Arn' }, BatchSize: 10 },
      },
      Schema: {
        Type: 'Custom::DatabaseSchema',
        Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Tables: 3 },
      },
    },
    Outputs: { QueueUrl: { Value: { 'Fn::GetAtt': ['Queue', 'QueueUrl'] } } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
  } as never;
}

/** The template after one change, and the validator's findings on it. */
function findingsAfter(change: (t: ReturnType<typeof validTemplate>) => void): string[] {
  const template = validTemplate();
  change(template);
  return validateTemplate(template as Template);
}

describe('the template validator built on AWS service specification', () => {
  it('accepts a valid template, intrinsic functions and numeric strings included', () => {
    expect(validateTemplate(validTemplate() as Template)).toEqual([]);
  });

  it('rejects an unknown resource type', () => {
    expect(findingsAfter((t) => (t.Resources.Queue.Type = 'AWS::SQS::Queues'))).toEqual([
      'Resources.Queue.Type: unknown resource type AWS::SQS::Queues',
    ]);
  });

  it('rejects a misspelled property, at the top and nested in a property type', () => {
    const findings = findingsAfter((t) => {
      t.Resources.Fn.Properties.Timout = 30;
      t.Resources.Fn.Properties.Code.S3Bukket = t.Resources.Fn.Properties.Code.S3Bucket;
    });
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatch(/^Resources\.Fn\.Properties\.Code\.S3Bukket: unknown property \(known: .*S3Bucket/);
    expect(findings[1]).toMatch(/^Resources\.Fn\.Properties\.Timout: unknown property \(known: .*Timeout/);
  });

  it('rejects a missing required property, on the resource and on a tag', () => {
    expect(
      findingsAfter((t) => {
        delete t.Resources.Fn.Properties.Role;
        delete t.Resources.Queue.Properties.Tags[0].Value;
      }),
    ).toEqual([
      'Resources.Queue.Properties.Tags[0]: missing required property Value',
      'Resources.Fn.Properties: missing required property Role',
    ]);
  });

  it('rejects a custom resource without its ServiceToken', () => {
    expect(findingsAfter((t) => delete t.Resources.Schema.Properties.ServiceToken)).toEqual([
      'Resources.Schema.Properties: missing required property ServiceToken',
    ]);
  });

  it('rejects a wrong primitive type: a word for a number, an object for a string, a string for a list', () => {
    expect(
      findingsAfter((t) => {
        t.Resources.Fn.Properties.MemorySize = 'lots';
        t.Resources.Fn.Properties.Environment.Variables.LIMIT = { max: 3 };
        t.Resources.Mapping.Properties.FunctionResponseTypes = 'ReportBatchItemFailures';
        t.Resources.Queue.Properties.VisibilityTimeout = '1.5';
      }),
    ).toEqual([
      'Resources.Queue.Properties.VisibilityTimeout: expected integer, got "1.5"',
      'Resources.Fn.Properties.MemorySize: expected integer, got "lots"',
      'Resources.Fn.Properties.Environment.Variables.LIMIT: expected string, got {"max":3}',
      'Resources.Mapping.Properties.FunctionResponseTypes: expected array, got "ReportBatchItemFailures"',
    ]);
  });

  it('rejects a GetAtt of an attribute the type does not have, in any of its spellings', () => {
    const findings = findingsAfter((t) => {
      t.Resources.Fn.Properties.Role = { 'Fn::GetAtt': ['Role', 'Arnn'] };
      t.Resources.Mapping.Properties.EventSourceArn = { 'Fn::GetAtt': 'Queue.QueueArn' };
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax
      t.Outputs.QueueUrl.Value = { 'Fn::Sub': '${Queue.Url}' };
    });
    expect(findings).toEqual([
      expect.stringMatching(/^Resources\.Fn\.Properties\.Role\.Fn::GetAtt: AWS::IAM::Role has no attribute Arnn/),
      expect.stringMatching(
        /^Resources\.Mapping\.Properties\.EventSourceArn\.Fn::GetAtt: AWS::SQS::Queue has no attribute QueueArn \(it has: Arn, /,
      ),
      expect.stringMatching(/^Outputs\.QueueUrl\.Value\.Fn::Sub: AWS::SQS::Queue has no attribute Url/),
    ]);
  });

  it('rejects a Ref, GetAtt, Sub variable or DependsOn naming nothing in the template', () => {
    expect(
      findingsAfter((t) => {
        t.Resources.Mapping.Properties.FunctionName = { Ref: 'Function' };
        t.Resources.Fn.Properties.Role = { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] };
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax
        t.Resources.Fn.Properties.Code.S3Bucket = { 'Fn::Sub': 'assets-${AWS::AccountId}-${Stage}' };
        t.Resources.Fn.DependsOn = ['Role', 'Policy'];
      }),
    ).toEqual([
      'Resources.Fn.Properties.Code.S3Bucket.Fn::Sub: Ref to Stage, which is neither a resource, a parameter nor a pseudo parameter',
      'Resources.Fn.Properties.Role.Fn::GetAtt: GetAtt of ExecutionRole, which is not a resource',
      'Resources.Fn.DependsOn: depends on Policy, which is not a resource',
      'Resources.Mapping.Properties.FunctionName.Ref: Ref to Function, which is neither a resource, a parameter nor a pseudo parameter',
    ]);
  });

  it('rejects a misspelled resource attribute beside Type and Properties', () => {
    expect(findingsAfter((t) => (t.Resources.Fn.DependOn = 'Role'))).toEqual([
      'Resources.Fn: unknown resource attribute DependOn',
    ]);
  });
});
