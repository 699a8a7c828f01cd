import { AppError } from '../../contract/errors.ts';

/** As many dashboard event streams as allowed are open; the client retries later or polls the snapshot. */
export class TooManyStreamsError extends AppError {
  constructor(maxStreams: number) {
    super(
      429,
      'too_many_streams',
      `${maxStreams} dashboard streams are open, the most allowed; retry later or poll GET /dashboard/snapshot`,
    );
    this.name = 'TooManyStreamsError';
  }
}
