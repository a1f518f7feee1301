import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AppConfig } from '../../../core/config/app-config.js';
import { sendProblem as writeProblem } from '../../../core/errors/problem.js';
import { isUnavailableError, unavailableProblem } from '../../../core/errors/unavailable.js';
import { clientAddress, type TrustProxyFn } from '../../../core/http/client-address.js';
import { requestObserver, runRequest, type RequestObserver } from '../../../core/http/middleware.js';
import type { Metrics } from '../../../core/metrics/metrics.js';
import type { Tracing } from '../../../core/tracing/tracing.js';
import {
  ExecutionException,
  type OrgRuntimeCache,
  type RunLauncher,
  type RunOutcome,
  type WebhookFlowInfo,
} from '../../execution/index.js';
import type { WebhookSettings } from '../../flows/index.js';
import { checkHandshake, verifyWebhookAuth, type WebhookRequestView } from './auth/verify-webhook-auth.js';
import type { ReplayCache } from './auth/replay-cache.js';
import type { WebhookFlowCache } from './webhook-flow-cache.js';
import {
  assertSingleAuthHeaders,
  bodyProblem,
  parseQuery,
  readWebhookBody,
  sendJson,
  sendProblem,
  sendResponded,
} from './webhook-http.js';
import { RateLimited, type WebhookRateLimits } from './webhook-rate-limits.js';
import { secretValueReader } from './webhook-secrets.js';

export const HOOK_PATH = /^\/hooks\/([0-9a-fA-F-]{36})\/?$/;
const hookRoute = (): string => '/hooks/:flowId';
const HIDDEN_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export interface WebhookHandlerDeps {
  config: AppConfig;
  log: Logger;
  metrics: Metrics;
  tracing?: Tracing;
  runs: RunLauncher;
  orgs: Pick<OrgRuntimeCache, 'get'>;
  flows: WebhookFlowCache;
  replay: ReplayCache;
  rateLimits: WebhookRateLimits;
  /** Express's compiled `trust proxy` check, so `/hooks` derives client addresses exactly as the API does. */
  trustProxy: TrustProxyFn;
}

class Answered extends Error {}

/**
 * `/hooks/:flowId`, the data plane: a lean handler on the raw Node request (no Express), reusing the run
 * launcher (org slots, limits, hooks), the flow cache and the auth verifiers. Unknown, disabled, unpublished or
 * non-webhook flows, and suspended orgs, all answer the same 404.
 */
export class WebhookHandler {
  private readonly observer: RequestObserver;

  constructor(private readonly d: WebhookHandlerDeps) {
    this.observer = requestObserver(d.config, d.log, d.metrics, d.tracing);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    // This path bypasses Express: the client address is derived with Express's own trust-proxy check.
    runRequest(req, res, this.observer, hookRoute, clientAddress(req, this.d.trustProxy), () => {
      this.serve(req, res).catch((e: unknown) => this.fail(res, e));
    });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent) return void res.end();
    if (e instanceof Answered || e instanceof RateLimited) return;
    if (e instanceof ExecutionException)
      return sendProblem(res, e.status, e.code, e.message, {}, e.extra.headers ?? {});
    const refused = bodyProblem(e);
    // An unread remainder of an oversized body is not worth keeping the connection for.
    if (refused) return writeProblem(res, refused, refused.status === 413 ? { connection: 'close' } : {});
    if (isUnavailableError(e)) {
      this.d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'dependency unavailable');
      const u = unavailableProblem();
      return writeProblem(res, u.problem, u.headers);
    }
    this.d.log.error(
      { err: e instanceof Error ? e.message : String(e), type: e instanceof Error ? e.constructor.name : typeof e },
      'webhook request failed',
    );
    sendProblem(res, 500, 'internal_error', 'Internal server error');
  }

  private notFound(res: ServerResponse): never {
    sendProblem(res, 404, 'not_found', 'Not found');
    throw new Answered();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path, search = ''] = (req.url ?? '').split('?', 2);
    const m = HOOK_PATH.exec(path);
    const method = (req.method ?? '').toUpperCase();
    if (!m || !['GET', 'POST', 'PUT'].includes(method)) this.notFound(res);
    const flowId = m![1].toLowerCase();
    const flow = await this.d.flows.get(flowId);
    const settings = webhookSettings(flow);
    if (!flow || !settings || !(settings.methods ?? ['POST']).includes(method as 'POST')) this.notFound(res);
    const org = await this.d.orgs.get(flow!.orgId);
    if (!org?.active) this.notFound(res);
    await this.d.rateLimits.consume(res, flowId, settings!.rateLimit);
    assertSingleAuthHeaders(req, settings!.auth);
    const view = await this.readRequest(req, method, search);
    const secrets = secretValueReader();
    await this.authenticate(res, flowId, settings!, view, secrets.read);
    const wait = view.query.wait === 'true' ? true : view.query.wait === 'false' ? false : settings!.respond === 'wait';
    await this.run(res, flow!, settings!, view, wait, secrets.values);
  }

  private async readRequest(req: IncomingMessage, method: string, search: string): Promise<WebhookRequestView> {
    const { rawBody, body } = await readWebhookBody(req, this.d.config.get('TENANTFLOW_BODY_LIMIT'));
    return { method, headers: req.headers, rawBody, query: parseQuery(search), body };
  }

  private async authenticate(
    res: ServerResponse,
    flowId: string,
    s: WebhookSettings,
    view: WebhookRequestView,
    secretValue: (v: string) => Promise<string>,
  ): Promise<void> {
    const unauthenticated = (): never => {
      sendProblem(res, 401, 'unauthenticated', 'The webhook request is not authenticated');
      throw new Answered();
    };
    const hs = await checkHandshake(s.handshake, view, { secretValue });
    if (hs.kind === 'refused') unauthenticated();
    const verdict =
      hs.kind === 'answer' && hs.authenticated
        ? { ok: true as const }
        : await verifyWebhookAuth(s.auth, view, { secretValue, replay: this.d.replay, scope: flowId });
    if (!verdict.ok) {
      this.d.log.info({ flowId, reason: verdict.reason }, 'webhook request refused');
      unauthenticated();
    }
    if (hs.kind === 'answer') {
      // A provider's verification challenge: answered, no run.
      sendResponded(res, { status: 200, headers: {}, body: hs.challenge });
      throw new Answered();
    }
  }

  private async run(
    res: ServerResponse,
    flow: WebhookFlowInfo,
    s: WebhookSettings,
    view: WebhookRequestView,
    wait: boolean,
    knownSecrets: string[],
  ): Promise<void> {
    const headers = visibleHeaders(view.headers, s);
    const trigger = { type: 'webhook' as const, body: view.body, headers, query: view.query, method: view.method };
    const runnable = { ...flow, version: flow.version!, definition: flow.definition! };
    const base = {
      flow: runnable,
      trigger,
      triggerType: 'webhook' as const,
      storedInput: { method: view.method, query: view.query, headers, body: view.body },
      knownSecrets,
    };
    if (!wait) {
      const started = await this.d.runs.launch({ ...base, durable: true });
      return sendJson(res, 202, { runId: started.runId });
    }
    const { runId } = await this.d.runs.launch({ ...base, durable: false, awaited: true });
    const timeoutMs = s.waitTimeoutMs ?? this.d.config.get('TENANTFLOW_WEBHOOK_WAIT_TIMEOUT');
    const first = await this.d.runs.awaitOutcome(runId, { timeoutMs, untilRespond: true });
    if (first.kind === 'timeout')
      return sendProblem(res, 504, 'run_still_running', 'The run has not finished yet', { runId });
    if (first.kind === 'responded') return sendResponded(res, first.response);
    answerOutcome(res, runId, first.outcome);
  }
}

function answerOutcome(res: ServerResponse, runId: string, o: RunOutcome): void {
  if (o.response) return sendResponded(res, o.response);
  if (o.status === 'succeeded') return sendJson(res, 200, { runId, status: o.status, output: o.output ?? null });
  const error = o.error ?? {
    type: 'node_error',
    message: o.status === 'cancelled' ? 'The run was cancelled' : 'The run failed',
  };
  // `status` is the HTTP status in problem+json (RFC 9457); the run's own status travels as `runStatus`.
  sendProblem(res, 502, 'run_failed', 'The run failed', {
    runId,
    runStatus: o.status,
    error: { type: error.type, message: error.message },
  });
}

function webhookSettings(flow: WebhookFlowInfo | null): WebhookSettings | null {
  if (!flow || !flow.enabled || flow.version === null || !flow.definition) return null;
  const t = flow.definition.trigger;
  if (t.type !== 'webhook' || !t.settings || typeof t.settings !== 'object') return null;
  const s = t.settings as unknown as WebhookSettings;
  return s.auth && typeof s.auth === 'object' ? s : null;
}

/** Headers flows see and runs store: credentials and cookies are never among them. */
function visibleHeaders(h: IncomingMessage['headers'], s: WebhookSettings): Record<string, string> {
  const hidden = s.auth.mode === 'header' ? s.auth.name.toLowerCase() : undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HIDDEN_HEADERS.has(k) || k === hidden) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
