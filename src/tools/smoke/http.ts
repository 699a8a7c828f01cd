/** An answer from the API: the status, the headers, the body parsed as JSON when it is JSON. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or undefined when the body was empty or not JSON (then see `text`). */
  readonly json: any;
  readonly text: string;
}

export interface CallInit {
  readonly method?: string;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send the admin token. */
  readonly admin?: boolean;
}

/** The API could not be reached at all: no answer, so no later step can tell anything. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** Why a connection failed, in words, from Node's error codes. */
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ENOTFOUND: 'no such host (DNS lookup failed)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection closed before an answer',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate names another host',
};

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code) return `${REASONS[code] ?? cause.message ?? code} (${code})`;
  return cause?.message ?? (error as Error).message;
}

/**
 * A plain-fetch client for one deployment's HTTP API. Every call has a deadline; a call that gets no
 * answer (refused, unknown host, timed out) throws UnreachableError with the reason in words.
 */
export class Api {
  readonly #base: URL;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, token: string, timeoutMs: number) {
    // A base with a path (an API stage) keeps it: paths are resolved below it, not from the host's root.
    this.#base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  /** The base URL as given, without a trailing slash. */
  get base(): string {
    return this.#base.href.replace(/\/$/, '');
  }

  async call(pathname: string, init: CallInit = {}): Promise<Answer> {
    const url = new URL(pathname.replace(/^\//, ''), this.#base);
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.admin) headers.authorization = `Bearer ${this.#token}`;
    const method = init.method ?? (init.json === undefined ? 'GET' : 'POST');
    let response: Response;
    let text: string;
    try {
      const signal = AbortSignal.timeout(this.#timeoutMs);
      response = await fetch(url, {
        method,
        headers,
        signal,
        redirect: 'manual',
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(`${method} ${url.href}: ${describeFailure(error, this.#timeoutMs)}`, {
        cause: error,
      });
    }
    let json: unknown;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        json = JSON.parse(text);
      } catch {
        // Left undefined: the step reports the text.
      }
    }
    return { status: response.status, headers: response.headers, json, text };
  }
}

/** One line about an answer that was not the expected one: status, error code or the start of the body. */
export function describeAnswer(answer: Answer): string {
  const error = answer.json?.error;
  if (error?.code) return `${answer.status} ${error.code}: ${error.message ?? ''}`.trim();
  const type = answer.headers.get('content-type') ?? 'no content type';
  const start = answer.text.replace(/\s+/g, ' ').slice(0, 120);
  return `${answer.status} (${type})${start ? ` ${start}` : ''}`;
}
