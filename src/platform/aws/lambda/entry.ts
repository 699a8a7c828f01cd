import type { Context } from 'aws-lambda';
import type { Logger } from 'pino';
import { createPowertools, instrument, type Powertools, pinoOverPowertools } from './powertools.ts';

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * A Lambda's exported `handler`: Powertools instrumentation around a handler built once per execution
 * environment, on the first invocation (so importing the module reads no environment). A failed build
 * is retried by the next invocation rather than cached.
 */
export function lambdaEntry<E, R>(
  build: (pt: Powertools, logger: Logger) => Promise<LambdaHandler<E, R>>,
): LambdaHandler<E, R> {
  const pt = createPowertools();
  const logger = pinoOverPowertools(pt.logger);
  let ready: Promise<LambdaHandler<E, R>> | undefined;
  return instrument(pt, async (event: E, context: Context) => {
    ready ??= build(pt, logger).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return (await ready)(event, context);
  });
}
