import type { Worker } from 'node:worker_threads';

/** An error a worker reports in a message: its text and the fields that identify it (a SQLSTATE, say). */
export type SerializedError = { message: string; [key: string]: unknown };

export function toError(serialized: SerializedError): Error {
  return Object.assign(new Error(serialized.message), serialized);
}

/**
 * The worker's next message of `type`. Rejects instead if the worker first reports
 * `{ type: 'failed', error }`, throws, or exits; `what` names it in that message. Leaves no listener.
 */
export function nextMessage<M extends { type: string }>(worker: Worker, type: M['type'], what: string): Promise<M> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: { type: string; error?: SerializedError }) => {
      if (message.type === type) {
        cleanup();
        resolve(message as M);
      } else if (message.type === 'failed' && message.error) {
        cleanup();
        reject(toError(message.error));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`${what} exited (code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
