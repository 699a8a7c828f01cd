import { mkdir } from 'node:fs/promises';
import { MessageChannel, Worker } from 'node:worker_threads';
import { BatchRequestTooLongException, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DatabaseThread } from '../db/pglite-thread.ts';
import { PUBLISH_BATCH_MAX_BYTES, publishEntryBytes } from '../outbox.ts';
import { workerResourceLimits } from '../worker-limits.ts';
import { nextMessage } from '../worker-message.ts';

export interface QueueEmulator {
  /** Base URL the AWS SDK clients point at. */
  readonly endpoint: string;
  /**
   * Databases opened here run on the emulator's thread: for the ones only queue consumers use, which
   * yield the cores to checkout as the queues do. Close them before `stop()`.
   */
  readonly databases: DatabaseThread;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs, an SNS/SQS emulator, on a worker thread of this process, at a low priority (see
 * thread-priority.ts). Its state (queues, subscriptions, messages, in-flight deadlines) is written through
 * to SQLite under `dataDir`, so messages survive a restart, even after SIGKILL. The thread also hosts
 * `databases`: one thread instead of two was ~22 MB less resident memory in the flash sale.
 */
export async function startQueueEmulator(options: { port: number; dataDir: string }): Promise<QueueEmulator> {
  await mkdir(options.dataDir, { recursive: true });
  const { port1: databasePort, port2: hostPort } = new MessageChannel();
  const worker = new Worker(new URL('./queue-emulator-worker.ts', import.meta.url), {
    name: 'queue-emulator',
    workerData: { port: options.port, dataDir: options.dataDir, databases: hostPort },
    transferList: [hostPort],
    resourceLimits: workerResourceLimits,
  });
  const { address } = await nextMessage<{ type: 'ready'; address: string }>(
    worker,
    'ready',
    'the queue emulator thread',
  );
  let stopping: Promise<void> | undefined;
  return {
    endpoint: address,
    databases: new DatabaseThread({ host: databasePort }),
    // Once: a second call finds the thread gone and would wait for its answer forever.
    stop: () =>
      (stopping ??= (async () => {
        const stopped = nextMessage(worker, 'stopped', 'the queue emulator thread');
        worker.postMessage({ type: 'stop' });
        await stopped;
        databasePort.close();
        await worker.terminate();
      })()),
  };
}

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/**
 * AWS SDK v3 clients for an endpoint: the emulator locally. Credentials are not checked there. The SNS
 * client refuses a PublishBatch call over SNS's 256 KiB as AWS does (BatchRequestTooLongException),
 * which the emulator does not check: what would fail on AWS fails locally too.
 */
export function createAwsClients(endpoint: string, region = 'us-east-1'): AwsClients {
  const common = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sns = new SNSClient(common);
  sns.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishBatchCommand') {
        const entries = (args.input as PublishBatchCommandInput).PublishBatchRequestEntries ?? [];
        const bytes = entries.reduce((sum, entry) => sum + publishEntryBytes(entry), 0);
        if (bytes > PUBLISH_BATCH_MAX_BYTES) {
          throw new BatchRequestTooLongException({
            message: `The length of all the batch messages put together (${bytes} bytes) is more than the limit.`,
            $metadata: { httpStatusCode: 400 },
          });
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'publishBatchSizeLimit' },
  );
  return {
    // Queue URLs name the host sqs.<region>.localhost; keep talking to the configured endpoint instead.
    sqs: new SQSClient({ ...common, useQueueUrlAsEndpoint: false }),
    sns,
  };
}
