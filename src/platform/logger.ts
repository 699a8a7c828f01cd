import pino, { type DestinationStream, type Logger } from 'pino';

/** Structured JSON logs, one line each, on stdout (or `destination`). */
export function createLogger(level = 'info', name = 'donut-states', destination?: DestinationStream): Logger {
  const options = { name, level, base: { service: name } };
  return destination ? pino(options, destination) : pino(options);
}
