import { pino, type Logger } from 'pino';
import { RequestContextStore } from '../context/request-context.js';

/** Key names whose values never reach a log line, wherever they appear (case-insensitive by listing both forms). */
const REDACTED_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-csrf-token',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'key',
  'apiKey',
  'privateKey',
  'data',
  'auth',
  'SAMLResponse',
];

/** DI token for the pino root logger. */
export const LOGGER = Symbol('LOGGER');

/**
 * JSON logs to stdout, buffered: writes are the dominant per-request cost on small VMs, so lines are flushed in
 * 4 KiB batches (and on shutdown via `logger.flush()`), not one syscall per line.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`), ...REDACTED_KEYS.map((k) => `*.*.${k}`)],
        censor: '[redacted]',
      },
      // Every line carries the request id of the request it was written under.
      mixin() {
        const requestId = RequestContextStore.get()?.requestId;
        return requestId ? { requestId } : {};
      },
    },
    pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
}
