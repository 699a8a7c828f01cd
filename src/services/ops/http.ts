import type { Logger } from 'pino';
import { createServiceApp } from '../../platform/http/service-app.ts';

/** A component check resolves when the component answers and throws when it does not. */
export type HealthCheck = () => Promise<void>;

export interface OpsDeps {
  readonly logger: Logger;
  /** Fatal components: any failing one makes /health answer 503. */
  readonly checks: Readonly<Record<string, HealthCheck>>;
  /** Shown but not fatal (e.g. the factory, which is allowed to be down). */
  readonly advisoryChecks?: Readonly<Record<string, HealthCheck>>;
  readonly checkTimeoutMs?: number;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function runAll(checks: Readonly<Record<string, HealthCheck>>, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
  );
  return Object.fromEntries(entries);
}

export function createOpsApp(deps: OpsDeps) {
  const app = createServiceApp(deps.logger);
  const timeoutMs = deps.checkTimeoutMs ?? 2000;
  app.get('/health', async (c) => {
    const [components, advisory] = await Promise.all([
      runAll(deps.checks, timeoutMs),
      runAll(deps.advisoryChecks ?? {}, timeoutMs),
    ]);
    const failing = Object.entries(components)
      .filter(([, result]) => !result.ok)
      .map(([name]) => name);
    const body = { status: failing.length === 0 ? 'ok' : 'unavailable', failing, components, advisory };
    return c.json(body, failing.length === 0 ? 200 : 503);
  });
  return app;
}
