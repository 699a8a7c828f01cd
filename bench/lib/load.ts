import autocannon from 'autocannon';

export interface LoadRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A fixed body, or one made per request (e.g. a unique customer id). */
  readonly body?: string | (() => string);
  /** Headers made per request (e.g. a fresh Idempotency-Key), added to `headers`. */
  readonly perRequestHeaders?: () => Record<string, string>;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Stop after this many requests… */
  readonly amount?: number;
  /** …or after this many seconds (whichever is set; both bounded). */
  readonly durationS?: number;
  readonly request: LoadRequest;
  /** Stops the load early (e.g. background reads once the main load is done). */
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  statuses: Record<string, number>;
  errors: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Drives HTTP load with autocannon and keeps every response time, for exact percentiles. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const { request } = options;
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
      timeout: 30,
      requests: [
        {
          method: request.method,
          path: request.path,
          headers: request.headers ?? {},
          setupRequest: (req: any) => {
            if (request.perRequestHeaders) req.headers = { ...request.headers, ...request.perRequestHeaders() };
            if (typeof request.body === 'function') req.body = request.body();
            else if (request.body !== undefined) req.body = request.body;
            return req;
          },
        },
      ],
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  options.signal?.addEventListener('abort', () => instance.stop(), { once: true });
  // autocannon reports completion on its once-a-second tick; the run ends with its last answer.
  let lastAnswer = started;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    lastAnswer = performance.now();
    times.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await done;
  const seconds = ((times.length > 0 ? lastAnswer : performance.now()) - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    seconds,
    rps: times.length / seconds,
    statuses,
    errors: result.errors + result.timeouts,
    latencyMs: {
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      max: times.at(-1) ?? 0,
    },
  };
}
