import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout. */
export function createLogger(level = 'info', name = 'donut-states'): Logger {
  return pino({ name, level, base: { service: name } });
}
