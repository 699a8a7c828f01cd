import { mkdir } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { workerResourceLimits } from '../worker-limits.ts';
import { nextMessage } from '../worker-message.ts';

export interface QueueEmulator {
  /** Base URL the AWS SDK clients point at. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs, an SNS/SQS emulator, on a worker thread of this process. Its state (queues,
 * subscriptions, messages, in-flight deadlines) is written through to SQLite under `dataDir`, so
 * messages survive a restart, even after SIGKILL.
 */
export async function startQueueEmulator(options: { port: number; dataDir: string }): Promise<QueueEmulator> {
  await mkdir(options.dataDir, { recursive: true });
  const worker = new Worker(new URL('./queue-emulator-worker.ts', import.meta.url), {
    workerData: { port: options.port, dataDir: options.dataDir },
    resourceLimits: workerResourceLimits,
  });
  const { address } = await nextMessage<{ type: 'ready'; address: string }>(
    worker,
    'ready',
    'the queue emulator thread',
  );
  return {
    endpoint: address,
    stop: async () => {
      const stopped = nextMessage(worker, 'stopped', 'the queue emulator thread');
      worker.postMessage({ type: 'stop' });
      await stopped;
      await worker.terminate();
    },
  };
}

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/** AWS SDK v3 clients for an endpoint: the emulator locally. Credentials are not checked there. */
export function createAwsClients(endpoint: string, region = 'us-east-1'): AwsClients {
  const common = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    // Queue URLs name the host sqs.<region>.localhost; keep talking to the configured endpoint instead.
    sqs: new SQSClient({ ...common, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient(common),
  };
}
