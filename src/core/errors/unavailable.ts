import { problem, type Problem } from './problem.js';

const PG_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'ENOENT']);
// `already released`: TypeORM's answer when a transaction's connection died under it (its rollback then finds the
// query runner released), which hides the connection error itself.
const MESSAGES =
  /Connection terminated|already released|connection timeout|Client has encountered a connection error|Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries per request|timeout exceeded when trying to connect|the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)|terminating connection|not queryable|Connection is not open|ERR_STREAM_DESTROYED/i;

/**
 * Whether an error means a dependency (PostgreSQL, Redis) cannot be reached right now (refused, reset, restarting),
 * as opposed to an error of the request or the statement.
 */
export function isUnavailableError(e: unknown, depth = 0): boolean {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (PG_CODES.has(code) || NET_CODES.has(code) || MESSAGES.test(typeof err.message === 'string' ? err.message : ''))
    return true;
  // A wrapped driver error (TypeORM's QueryFailedError, an Error with a cause).
  return depth < 3 && (isUnavailableError(err.driverError, depth + 1) || isUnavailableError(err.cause, depth + 1));
}

/** 503 with Retry-After for a dependency that is down: clients retry; nothing about the dependency is disclosed. */
export function unavailableProblem(): { problem: Problem; headers: Record<string, string> } {
  return {
    problem: problem(503, 'service_unavailable', 'A service this request needs is unavailable; retry shortly'),
    headers: { 'Retry-After': '1' },
  };
}
