import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { Logger } from 'pino';
import type { SqsBatchHandler } from '../sqs-batch.ts';

export interface QueuePollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsBatchHandler;
  readonly batchSize: number;
  /** Batches handled at once, like Lambda's maximum concurrency. */
  readonly concurrency: number;
  /** A logger that names the queue (a child bound to it): the poller's lines add no queue field of their own. */
  readonly logger: Logger;
  readonly waitTimeSeconds?: number;
  /** Told how each batch went (metrics). */
  readonly onBatch?: (succeeded: number, failed: number) => void;
}

/**
 * Does locally what Lambda's SQS event source does: long-polls, hands each batch to the handler as an
 * SQS event, deletes the records that succeeded and leaves the failed ones to reappear after the
 * visibility timeout (and, after maxReceiveCount receives, to move to the DLQ).
 *
 * One receive is outstanding at a time, and up to `concurrency` batches are handled at once. (Several
 * receivers long-polling one queue would each cost a round trip per message: the emulator wakes every
 * waiting receive when a message arrives, and all but one come back empty.)
 */
export class QueuePoller {
  readonly #options: QueuePollerOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: QueuePollerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops receiving; resolves once the batches in hand are handled. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const { concurrency, logger } = this.#options;
    const inHand = new Set<Promise<void>>();
    while (!this.#abort.signal.aborted) {
      if (inHand.size >= concurrency) {
        await Promise.race(inHand);
        continue;
      }
      let messages: Message[];
      try {
        messages = await this.#receive();
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        logger.warn({ err: error }, 'queue poll failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      const batch = this.#handle(messages)
        .catch((error: unknown) => logger.warn({ err: error }, 'batch failed; it will be received again'))
        .finally(() => inHand.delete(batch));
      inHand.add(batch);
    }
    await Promise.allSettled(inHand);
  }

  async #receive(): Promise<Message[]> {
    const { sqs, queueUrl, batchSize } = this.#options;
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: this.#options.waitTimeSeconds ?? 2,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.#abort.signal },
    );
    return received.Messages ?? [];
  }

  async #handle(messages: Message[]): Promise<void> {
    const { sqs, queueUrl, handler, logger } = this.#options;
    const event: SQSEvent = { Records: messages.map((m) => this.#toRecord(m)) };
    const response = await handler(event);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    if (failed.size > 0) logger.warn({ failed: failed.size, of: messages.length }, 'records failed');
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    this.#options.onBatch?.(done.length, failed.size);
    if (done.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }

  #toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    const messageAttributes: SQSMessageAttributes = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      };
    }
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes,
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#options.queueArn,
      awsRegion: 'us-east-1',
    };
  }
}
