/** One entry per invalid field. */
export interface ErrorDetail {
  readonly field: string;
  readonly message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
  [extra: string]: unknown;
}

/**
 * The one error type the HTTP edge knows how to render: a status, a stable snake_case code, a message,
 * optional per-field details and optional extra top-level fields (e.g. `available` on out_of_stock).
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: ErrorDetail[]; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.extra = options.extra ?? {};
  }

  toJSON(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
      ...this.extra,
    };
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'invalid_request', message, details ? { details } : {});
    this.name = 'InvalidRequestError';
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'a valid admin bearer token is required') {
    super(401, 'unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}

export class NotFoundError extends AppError {
  constructor(code = 'not_found', message = 'no such resource') {
    super(404, code, message);
    this.name = 'NotFoundError';
  }
}
