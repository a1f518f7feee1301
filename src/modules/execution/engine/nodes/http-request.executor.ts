import { EgressDeniedError, EgressError, EgressNetworkError, type EgressMethod } from '../../../egress/index.js';
import { StepFailure } from '../run-errors.js';
import type { NodeExecutionContext, NodeExecutor, NodeResult } from './node-executor.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const HTTP_DEFAULT_TIMEOUT_MS = 30_000;
export const HTTP_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

const bad = (node: string, message: string) => new StepFailure('node_error', `Node "${node}": ${message}`);

function headersParam(node: string, raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(node, 'headers must be an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    const value = typeof v === 'string' ? v : String(v);
    if (/[\r\n\0]/.test(value) || /[\r\n\0:]/.test(k)) throw bad(node, `header "${k.slice(0, 64)}" is not valid`);
    out[k] = value;
  }
  return out;
}

function positiveInt(node: string, name: string, raw: unknown, fallback: number, ceiling: number): number {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0)
    throw bad(node, `${name} must be a positive integer`);
  return Math.min(raw, ceiling);
}

/** Egress refusals are the author's to fix (not retried); network trouble may pass (retried). */
function egressFailure(node: string, e: EgressError): StepFailure {
  if (e.reason === 'timeout') return new StepFailure('timeout', `Node "${node}": ${e.message}`, true);
  if (e.reason === 'aborted') return new StepFailure('node_error', `Node "${node}": the request was cancelled`);
  const retryable = e instanceof EgressNetworkError;
  const kind = e instanceof EgressDeniedError ? 'refused' : 'failed';
  return new StepFailure('node_error', `Node "${node}": request ${kind} (${e.reason}): ${e.message}`, retryable);
}

function withQuery(node: string, url: string, raw: unknown): string {
  if (raw === undefined || raw === null) return url;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(node, 'query must be an object');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(node, 'url is not a valid absolute URL');
  }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>))
    if (v !== undefined && v !== null) u.searchParams.append(k, String(v));
  return u.href;
}

function formatBody(node: string, body: unknown, format: unknown): unknown {
  if (Buffer.isBuffer(body)) return format === 'text' ? body.toString('utf8') : { base64: body.toString('base64') };
  if (format === 'text' && typeof body !== 'string') return JSON.stringify(body);
  if (format === 'json' && typeof body === 'string') {
    try {
      return body === '' ? null : JSON.parse(body);
    } catch {
      throw bad(node, 'the response is not valid JSON');
    }
  }
  return body;
}

/** The connection's auth (it wins over the node's own headers of the same name), or none. */
async function connectionAuth(
  node: string,
  raw: unknown,
  ctx: NodeExecutionContext,
): Promise<{ headers: Record<string, string>; query: Record<string, string> } | undefined> {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw bad(node, 'connectionId must be a string');
  try {
    return await ctx.connectionAuth(raw);
  } catch (e) {
    if (e instanceof StepFailure) throw new StepFailure(e.type, `Node "${node}": ${e.message}`, e.retryable);
    throw e;
  }
}

/**
 * `http.request`: method, url, query, headers, body, timeoutMs, responseFormat, failOnHttpError (default true). Goes out only
 * through the SSRF-guarded client. Output: `{status, headers, body}`. Status >= 400 fails the node (5xx and 429 may
 * be retried) unless `failOnHttpError` is false.
 */
export const httpRequestExecutor: NodeExecutor = {
  async execute(params, ctx): Promise<NodeResult> {
    const id = ctx.node.id;
    const method = String(params.method ?? 'GET').toUpperCase();
    if (!METHODS.has(method)) throw bad(id, `method ${method.slice(0, 16)} is not supported`);
    if (typeof params.url !== 'string' || !params.url) throw bad(id, 'url must be a non-empty string');
    const timeoutMs = positiveInt(id, 'timeoutMs', params.timeoutMs, HTTP_DEFAULT_TIMEOUT_MS, 5 * 60_000);
    const maxResponseBytes = positiveInt(
      id,
      'maxResponseBytes',
      params.maxResponseBytes,
      HTTP_MAX_RESPONSE_BYTES,
      HTTP_MAX_RESPONSE_BYTES,
    );
    const auth = await connectionAuth(id, params.connectionId, ctx);
    let res;
    try {
      res = await ctx.http({
        method: method as EgressMethod,
        url: withQuery(id, withQuery(id, params.url, params.query), auth?.query),
        headers: { ...headersParam(id, params.headers), ...auth?.headers },
        body: (params.body ?? undefined) as never,
        timeoutMs,
        maxResponseBytes,
      });
    } catch (e) {
      await ctx.reportEgressError?.(e);
      if (e instanceof EgressError) throw egressFailure(id, e);
      throw e;
    }
    const output = { status: res.status, headers: res.headers, body: formatBody(id, res.body, params.responseFormat) };
    if (params.failOnHttpError !== false && res.status >= 400) {
      const retryable = res.status >= 500 || res.status === 429;
      throw new StepFailure('node_error', `Node "${id}": the server answered ${res.status}`, retryable);
    }
    return { output };
  },
};
