import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { messageCounts, type QueueRef } from '../../platform/queues.ts';

export interface DeadLetter {
  id: string;
  body: string;
  receiveCount: number;
  sentAt: string;
}

/** The most a single listing or redrive touches, so one call stays bounded. */
const MAX_MESSAGES = 1000;
/** Messages held invisible while a listing or redrive walks the queue. */
const HOLD_S = 30;
/**
 * After a listing, messages become visible again this soon. Not 0: the embedded emulator (fauxqs 2.4
 * with persistence) drops a message whose visibility is changed to 0, so no code here ever does that.
 */
const RELEASE_S = 1;

/**
 * Receives everything visible (up to MAX_MESSAGES), holding each received message invisible meanwhile.
 * With `includeHeld`, it also waits briefly for messages a recent listing is still holding.
 */
async function receiveAll(sqs: SQSClient, url: string, includeHeld = false): Promise<Message[]> {
  const seen = new Map<string, Message>();
  while (seen.size < MAX_MESSAGES) {
    const held = includeHeld && (await messageCounts(sqs, url)).inFlight > 0;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: HOLD_S,
        WaitTimeSeconds: held ? RELEASE_S + 1 : 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) seen.set(message.MessageId!, message);
  }
  return [...seen.values()];
}

function chunks<T>(items: readonly T[], size = 10): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Lists what waits in a dead-letter queue without consuming it: the messages are received, read and
 * made visible again a second later.
 */
export async function listDeadLetters(sqs: SQSClient, queue: QueueRef): Promise<DeadLetter[]> {
  const messages = await receiveAll(sqs, queue.deadLetter.url);
  for (const batch of chunks(messages)) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.deadLetter.url,
        Entries: batch.map((m, i) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle!,
          VisibilityTimeout: RELEASE_S,
        })),
      }),
    );
  }
  return messages
    .map((m) => ({
      id: m.MessageId!,
      body: m.Body ?? '',
      // The receive above counts once; report the receives that sent it here.
      receiveCount: Math.max(0, Number(m.Attributes?.ApproximateReceiveCount ?? 1) - 1),
      sentAt: new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())).toISOString(),
    }))
    .sort((a, b) => a.sentAt.localeCompare(b.sentAt));
}

/**
 * Moves every dead letter back to its source queue, where its consumer processes it again.
 * A message is deleted from the DLQ only after its copy was accepted by the source queue: a crash
 * in between leaves a duplicate, never a loss (consumers are idempotent).
 */
export async function redriveDeadLetters(sqs: SQSClient, queue: QueueRef): Promise<number> {
  const messages = await receiveAll(sqs, queue.deadLetter.url, true);
  let moved = 0;
  for (const batch of chunks(messages)) {
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: batch.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
            ? { MessageAttributes: m.MessageAttributes }
            : {}),
        })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const accepted = batch.filter((_, i) => ok.has(String(i)));
    if (accepted.length === 0) continue;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.deadLetter.url,
        Entries: accepted.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    moved += accepted.length;
  }
  return moved;
}

/** Drops every message in the dead-letter queue. */
export async function purgeDeadLetters(sqs: SQSClient, queue: QueueRef): Promise<number> {
  const { messages, inFlight } = await messageCounts(sqs, queue.deadLetter.url);
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queue.deadLetter.url }));
  return messages + inFlight;
}
