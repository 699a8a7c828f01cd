import { Duration, type Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { deadLetterQueueName, type QueueDeclaration, type Topology } from '../../../topology.ts';
import { acknowledge } from '../nag.ts';
import { pascal } from '../plan.ts';
import type { Alarms } from './alarms.ts';
import { CONSUMER_VISIBILITY_FACTOR, MIN_MAX_RECEIVE_COUNT, SIZING } from './sizing.ts';

/** The dead-letter queue of a queue's subscription to the topic (AWS only: the emulator delivers in process). */
export const subscriptionDeadLetterName = (queue: Pick<QueueDeclaration, 'name'>): string =>
  `${queue.name}-subscription-dlq`;

/** A queue of the topology with its dead-letter queue. */
export interface QueueResources {
  readonly declaration: QueueDeclaration;
  readonly queue: sqs.Queue;
  readonly deadLetter: sqs.Queue;
  /** Where SNS puts what it could not deliver to the queue; only for a queue subscribed to the topic. */
  readonly subscriptionDeadLetter: sqs.Queue | undefined;
}

export interface MessagingProps {
  readonly topology: Topology;
  readonly alarms: Alarms;
}

/**
 * The events topic, then every queue of the topology with its DLQ, its filtered raw-delivery
 * subscription and an alarm on the DLQ's depth. Resources are created in the stack's scope, so logical
 * ids stay those of a flat stack.
 */
export class Messaging {
  readonly topic: sns.Topic;
  /** By queue name, in the topology's order. */
  readonly queues = new Map<string, QueueResources>();
  readonly #scope: Stack;
  readonly #alarms: Alarms;

  constructor(scope: Stack, props: MessagingProps) {
    this.#scope = scope;
    this.#alarms = props.alarms;
    this.topic = new sns.Topic(scope, 'Events', {
      displayName: props.topology.topic.name,
      // The AWS managed key: encrypted at rest, and publishers need no KMS grant of their own.
      masterKey: kms.Alias.fromAliasName(scope, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    for (const declaration of props.topology.queues) this.#queue(declaration);
  }

  /** The topology's timeout is a floor: Lambda refuses a queue that hides a batch shorter than it runs. */
  #visibilityS(declaration: QueueDeclaration): number {
    return Math.max(declaration.visibilityTimeoutS, SIZING.consumer.timeout.toSeconds() * CONSUMER_VISIBILITY_FACTOR);
  }

  #queue(declaration: QueueDeclaration): void {
    const scope = this.#scope;
    const id = pascal(declaration.name);
    const deadLetter = new sqs.Queue(scope, `${id}Dlq`, {
      queueName: `${scope.stackName}-${deadLetterQueueName(declaration)}`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(scope, `${id}Queue`, {
      queueName: `${scope.stackName}-${declaration.name}`,
      visibilityTimeout: Duration.seconds(this.#visibilityS(declaration)),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: {
        queue: deadLetter,
        maxReceiveCount: Math.max(MIN_MAX_RECEIVE_COUNT, declaration.maxReceiveCount),
      },
    });
    const subscriptionDeadLetter = declaration.events.length > 0 ? this.#subscribe(declaration, queue) : undefined;
    this.#alarms.add(
      `${id}DlqDepth`,
      deadLetter.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      {
        description: `messages are waiting in ${deadLetterQueueName(declaration)}; see GET /ops/dlq/${declaration.name}`,
      },
    );
    // Older than every receive it may get: it should have been handled or dead-lettered by now.
    const maxAgeS = this.#visibilityS(declaration) * Math.max(MIN_MAX_RECEIVE_COUNT, declaration.maxReceiveCount);
    this.#alarms.add(
      `${id}OldestMessage`,
      queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      {
        threshold: maxAgeS,
        description: `${declaration.name} holds a message older than ${maxAgeS} s: its consumer is stuck, throttled or failing`,
      },
    );
    this.queues.set(declaration.name, { declaration, queue, deadLetter, subscriptionDeadLetter });
  }

  /**
   * As provision.ts does locally: raw delivery, filtered on the `type` message attribute. What SNS cannot
   * deliver after its own retries (the queue gone, its policy or key refusing) lands in the subscription's
   * dead-letter queue instead of being dropped, and an alarm fires.
   */
  #subscribe(declaration: QueueDeclaration, queue: sqs.Queue): sqs.Queue {
    const scope = this.#scope;
    const id = pascal(declaration.name);
    const deadLetter = new sqs.Queue(scope, `${id}SubscriptionDlq`, {
      queueName: `${scope.stackName}-${subscriptionDeadLetterName(declaration)}`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(
      deadLetter,
      'AwsSolutions-SQS3',
      "This queue is a dead-letter queue: the SNS subscription's redrive policy points at it, which cdk-nag only recognizes for SQS redrive policies.",
    );
    this.topic.addSubscription(
      new subscriptions.SqsSubscription(queue, {
        rawMessageDelivery: true,
        filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: [...declaration.events] }) },
        deadLetterQueue: deadLetter,
      }),
    );
    this.#alarms.add(
      `${id}SubscriptionDlqDepth`,
      deadLetter.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      {
        description: `SNS could not deliver events to ${declaration.name}; they wait in ${subscriptionDeadLetterName(declaration)}`,
      },
    );
    return deadLetter;
  }
}
