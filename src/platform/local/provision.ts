import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { deadLetterQueueName, type QueueDeclaration, type Topology } from '../../topology.ts';
import type { AwsClients } from './queue-emulator.ts';

export interface ProvisionedQueue {
  readonly declaration: QueueDeclaration;
  readonly url: string;
  readonly arn: string;
  readonly deadLetter: { readonly name: string; readonly url: string; readonly arn: string };
  readonly visibilityTimeoutS: number;
  readonly maxReceiveCount: number;
}

export interface ProvisionedMessaging {
  readonly topicArn: string;
  readonly queues: ReadonlyMap<string, ProvisionedQueue>;
}

export interface QueueOverrides {
  readonly visibilityTimeoutS?: number | undefined;
  readonly maxReceiveCount?: number | undefined;
}

/**
 * Creates (or brings up to date) the topic, every queue with its DLQ and redrive policy, and the
 * filtered raw-delivery subscriptions, all from the topology. Safe to run at every start.
 */
export async function provisionMessaging(
  clients: AwsClients,
  topology: Topology,
  overrides: QueueOverrides = {},
): Promise<ProvisionedMessaging> {
  const { sqs, sns } = clients;
  const topic = await sns.send(new CreateTopicCommand({ Name: topology.topic.name }));
  const topicArn = topic.TopicArn!;
  const existing = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  const queues = new Map<string, ProvisionedQueue>();

  for (const declaration of topology.queues) {
    const visibilityTimeoutS = overrides.visibilityTimeoutS ?? declaration.visibilityTimeoutS;
    const maxReceiveCount = overrides.maxReceiveCount ?? declaration.maxReceiveCount;
    const dlqName = deadLetterQueueName(declaration);
    const dlq = await createQueue(clients, dlqName, { MessageRetentionPeriod: String(14 * 24 * 3600) });
    const queue = await createQueue(clients, declaration.name, {});
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutS),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(maxReceiveCount) }),
        },
      }),
    );

    if (declaration.events.length > 0) {
      const attributes = {
        RawMessageDelivery: 'true',
        FilterPolicy: JSON.stringify({ type: [...declaration.events] }),
      };
      const current = existing.Subscriptions?.find((s) => s.Endpoint === queue.arn && s.Protocol === 'sqs');
      if (current?.SubscriptionArn) {
        for (const [name, value] of Object.entries(attributes)) {
          await sns.send(
            new SetSubscriptionAttributesCommand({
              SubscriptionArn: current.SubscriptionArn,
              AttributeName: name,
              AttributeValue: value,
            }),
          );
        }
      } else {
        await sns.send(
          new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: attributes }),
        );
      }
    }
    queues.set(declaration.name, {
      declaration,
      url: queue.url,
      arn: queue.arn,
      deadLetter: { name: dlqName, ...dlq },
      visibilityTimeoutS,
      maxReceiveCount,
    });
  }
  return { topicArn, queues };
}

async function createQueue(
  { sqs }: AwsClients,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = created.QueueUrl!;
  if (Object.keys(attributes).length > 0) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  const found = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: found.Attributes!.QueueArn! };
}
