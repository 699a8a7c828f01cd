import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { planFunctions } from '../../src/platform/aws/plan.ts';
import { provisionMessaging } from '../../src/platform/local/provision.ts';
import { createAwsClients, startQueueEmulator } from '../../src/platform/local/queue-emulator.ts';
import { type QueueDeclaration, type Topology, topology } from '../../src/topology.ts';
import { logicalId, resourcesOf, templateFor } from './synth.ts';

/** A copy of the topology with one more queue, fed by the topic and consumed by an existing handler. */
function withExtraQueue(): { extended: Topology; extra: QueueDeclaration } {
  const extra: QueueDeclaration = {
    name: 'gift-wraps',
    purpose: 'a queue that exists only in this test',
    events: ['order.placed'],
    // Idempotent per order id, so a second queue delivering the same event changes nothing.
    consumer: { service: 'customers', handler: 'recordPurchase' },
    visibilityTimeoutS: 7,
    maxReceiveCount: 6,
    batchSize: 5,
    concurrency: 3,
  };
  return { extended: { ...topology, queues: [...topology.queues, extra] }, extra };
}

describe('the AWS stack and the embedded runtime read the same topology', () => {
  it('a queue added to the topology appears in both, with its DLQ, subscription and consumer', async () => {
    const { extended, extra } = withExtraQueue();
    expect(topology.queues.some((q) => q.name === extra.name)).toBe(false);

    // AWS: the stack built from the copy.
    const { stack, template } = templateFor(extended);
    const resources = stack.queues.get(extra.name);
    expect(resources).toBeDefined();
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'DonutStates-gift-wraps',
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, resources!.deadLetter), 'Arn'] },
        maxReceiveCount: 6,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'DonutStates-gift-wraps-dlq' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'DonutStates-gift-wraps-subscription-dlq' });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, resources!.queue), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: { type: ['order.placed'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, resources!.subscriptionDeadLetter!), 'Arn'] },
      },
    });
    const consumer = planFunctions(extended).find((p) => p.queue?.name === extra.name)!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, stack.functions.get(consumer.id)!.fn) },
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 3 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Each queue and its DLQ, and a dead-letter queue for each subscription to the topic.
    const subscribed = extended.queues.filter((q) => q.events.length > 0).length;
    expect(resourcesOf(template, 'AWS::SQS::Queue')).toHaveLength(extended.queues.length * 2 + subscribed);

    // Embedded: the same copy provisioned on the embedded SNS/SQS emulator, as startSystem does at start.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'donut-same-topology-'));
    const emulator = await startQueueEmulator({ port: 0, dataDir });
    const clients = createAwsClients(emulator.endpoint);
    try {
      const messaging = await provisionMessaging(clients, extended);
      expect([...messaging.queues.keys()]).toEqual(extended.queues.map((q) => q.name));
      const queue = messaging.queues.get(extra.name)!;
      expect(queue.deadLetter.name).toBe('gift-wraps-dlq');
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
      );
      expect(JSON.parse(attributes.Attributes!.RedrivePolicy!)).toMatchObject({
        deadLetterTargetArn: queue.deadLetter.arn,
      });
      expect(Number(JSON.parse(attributes.Attributes!.RedrivePolicy!).maxReceiveCount)).toBe(6);
      const subscriptions = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: messaging.topicArn }),
      );
      expect(subscriptions.Subscriptions?.some((sub) => sub.Endpoint === queue.arn)).toBe(true);
    } finally {
      clients.sqs.destroy();
      clients.sns.destroy();
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
