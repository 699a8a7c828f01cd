import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { Logger } from 'pino';

export { MetricUnit };

const METRICS_NAMESPACE = 'DonutStates';

/** The three Powertools utilities one Lambda uses; created once per execution environment. */
export interface Powertools {
  readonly logger: PowertoolsLogger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/** The service name comes from POWERTOOLS_SERVICE_NAME, which the stack sets per function. */
export function createPowertools(serviceName?: string): Powertools {
  const named = serviceName ? { serviceName } : {};
  return {
    logger: new PowertoolsLogger(named),
    metrics: new Metrics({ ...named, namespace: METRICS_NAMESPACE }),
    tracer: new Tracer(named),
  };
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const POWERTOOLS_METHOD = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'critical',
} as const;

/**
 * The pino-shaped logger the services take (`log.info({fields}, 'message')`, `child`), writing through
 * Powertools so every line carries the Lambda request id, cold start and X-Ray trace id. Children keep
 * their bindings here rather than in a Powertools child, so context added per invocation reaches them.
 */
export function pinoOverPowertools(root: PowertoolsLogger, bindings: Record<string, unknown> = {}): Logger {
  const emit =
    (level: Level) =>
    (first?: unknown, second?: unknown): void => {
      let message = '';
      let fields: Record<string, unknown> = {};
      if (typeof first === 'string') message = first;
      else {
        if (first instanceof Error) fields = { err: first };
        else if (first && typeof first === 'object') fields = first as Record<string, unknown>;
        if (typeof second === 'string') message = second;
      }
      root[POWERTOOLS_METHOD[level]](message, { ...bindings, ...fields });
    };
  const facade = {
    trace: emit('trace'),
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    fatal: emit('fatal'),
    silent: () => {},
    child: (more: Record<string, unknown>) => pinoOverPowertools(root, { ...bindings, ...more }),
    get level() {
      return root.getLevelName().toLowerCase();
    },
    isLevelEnabled: () => true,
  };
  // Only the methods above are called by the services; the cast names the shape they were written against.
  return facade as unknown as Logger;
}

/**
 * Wraps a handler with what Powertools' middleware would do: Lambda context on every log line, a
 * traced `## handler` subsegment with cold-start and service annotations, and metrics flushed at the end.
 */
export function instrument<E, R>(
  pt: Powertools,
  inner: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    pt.logger.addContext(context);
    pt.metrics.captureColdStartMetric();
    const segment = pt.tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    if (subsegment) pt.tracer.setSegment(subsegment);
    pt.tracer.annotateColdStart();
    pt.tracer.addServiceNameAnnotation();
    try {
      return await inner(event, context);
    } catch (error) {
      pt.tracer.addErrorAsMetadata(error as Error);
      pt.logger.error('invocation failed', error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) pt.tracer.setSegment(segment);
      // Jobs and migrations often record nothing; publishing nothing would only log a warning.
      if (pt.metrics.hasStoredMetrics()) pt.metrics.publishStoredMetrics();
    }
  };
}
