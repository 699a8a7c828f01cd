import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A work queue and its dead-letter queue, as the platform provisioned them. */
export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly deadLetter: { readonly name: string; readonly url: string };
}

export interface QueueDepth {
  name: string;
  messages: number;
  inFlight: number;
  deadLetter: { name: string; messages: number };
}

/** One queue's counters: messages waiting, and messages received but not yet deleted. */
export async function messageCounts(sqs: SQSClient, url: string): Promise<{ messages: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    messages: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export async function queueDepths(sqs: SQSClient, queues: readonly QueueRef[]): Promise<QueueDepth[]> {
  return Promise.all(
    queues.map(async (queue) => {
      const [work, dead] = await Promise.all([messageCounts(sqs, queue.url), messageCounts(sqs, queue.deadLetter.url)]);
      // Nothing consumes a DLQ, so a message held by a listing still counts as waiting there.
      const deadLetter = { name: queue.deadLetter.name, messages: dead.messages + dead.inFlight };
      return { name: queue.name, ...work, deadLetter };
    }),
  );
}
