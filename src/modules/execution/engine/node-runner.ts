import { egressRefusalOf } from '../../egress/index.js';
import type { NodeDefinition, NodeRetrySettings } from '../definition/flow-definition.js';
import type { BeforeNodeExecuteDecision, ExecutionHooks } from './execution-hooks.js';
import type { NodeExecutionContext, NodeExecutor, NodeResult } from './nodes/node-executor.js';
import { renderValue } from './params.js';
import { StepFailure, toStepFailure } from './run-errors.js';
import type { RunState } from './run-state.js';
import type { SandboxCalls, ScriptSandbox, SandboxScope } from './sandbox.port.js';

const MAX_ATTEMPTS = 10;

interface RetryPolicy {
  maxAttempts: number;
  delayMs: number;
  factor: number;
  maxDelayMs: number;
}

const int = (v: unknown, d: number, lo: number, hi: number) =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : d;

/** Exponential backoff: `delayMs`, then doubling, capped at 30 s. */
function retryPolicy(r: NodeRetrySettings | undefined): RetryPolicy {
  return {
    maxAttempts: int(r?.maxAttempts, 1, 1, MAX_ATTEMPTS),
    delayMs: int(r?.delayMs, 1000, 0, 60_000),
    factor: 2,
    maxDelayMs: 30_000,
  };
}

/** A node's own `params.timeoutMs` (code, http.request) bounds each attempt; otherwise the server default. */
function attemptTimeout(node: NodeDefinition, fallback: number): number {
  return int(node.params?.timeoutMs, fallback, 1, 60 * 60_000);
}

/** Limits and cancellations are final; everything else may be retried when the node asks for retries. */
const retryable = (f: StepFailure) => f.type !== 'limit' && f.type !== 'memory';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs one node: hook, parameter rendering, executor, per-attempt timeout, retries with backoff, step records. */
export class NodeRunner {
  constructor(
    private readonly sandbox: ScriptSandbox,
    private readonly hooks: ExecutionHooks,
  ) {}

  async run(
    state: RunState,
    node: NodeDefinition,
    executor: NodeExecutor,
    scope: SandboxScope,
    iteration?: number,
  ): Promise<NodeResult> {
    const policy = retryPolicy(node.retry);
    for (let attempt = 1; ; attempt++) {
      state.takeStep(node.id);
      const startedAt = new Date();
      try {
        const result = await this.attempt(state, node, executor, scope, attempt);
        state.record({
          nodeId: node.id,
          nodeType: node.type,
          attempt,
          iteration,
          status: 'succeeded',
          startedAt,
          durationMs: Date.now() - startedAt.getTime(),
          output: result.output,
        });
        return result;
      } catch (e) {
        const f = state.abortReason ? abortFailure(state) : toStepFailure(e);
        state.record({
          nodeId: node.id,
          nodeType: node.type,
          attempt,
          iteration,
          status: 'failed',
          startedAt,
          durationMs: Date.now() - startedAt.getTime(),
          error: { type: f.type, message: f.message },
        });
        if (state.abortReason || attempt >= policy.maxAttempts || !retryable(f)) {
          // `onError: continue` records the failure and hands `{error}` on; limits and aborts always end the run.
          if (node.onError === 'continue' && !state.abortReason && f.type !== 'limit')
            return { output: { error: { type: f.type, message: f.message } } };
          throw Object.assign(f, { nodeId: node.id });
        }
        const delay = Math.min(policy.maxDelayMs, policy.delayMs * policy.factor ** (attempt - 1));
        await sleep(delay, state.signal);
        if (state.abortReason) throw Object.assign(abortFailure(state), { nodeId: node.id });
      }
    }
  }

  private async attempt(
    state: RunState,
    node: NodeDefinition,
    executor: NodeExecutor,
    scope: SandboxScope,
    attempt: number,
  ): Promise<NodeResult> {
    const run = state.run;
    const ownTimeout = attemptTimeout(node, run.limits.nodeTimeoutMs);
    const runLeft = state.deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(ownTimeout, runLeft));
    const ends = Date.now() + timeoutMs;
    const controller = new AbortController();
    const onRunAbort = () => controller.abort(state.signal.reason);
    state.signal.addEventListener('abort', onRunAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Cut short by the run's own deadline (this timer and the run's are due together, in either order):
        // the run has timed out, not the node.
        if (runLeft <= ownTimeout) return state.abort('timed_out');
        const f = new StepFailure('timeout', `Node "${node.id}" did not finish within ${timeoutMs} ms`, true);
        controller.abort(f);
        reject(f);
      }, timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
    );
    timedOut.catch(() => undefined);
    aborted.catch(() => undefined);
    const sandboxLimits = () => ({
      memoryMb: run.limits.sandbox.memoryMb,
      timeoutMs: Math.max(1, Math.min(run.limits.sandbox.timeoutMs, ends - Date.now())),
    });
    // The run's own sandbox session (one context for all its calls) when the sandbox offers one.
    const sandbox: SandboxCalls = state.sandbox ?? this.sandbox;
    const env = {
      orgId: run.orgId,
      sandbox,
      secrets: state,
      get limits() {
        return sandboxLimits();
      },
    };
    const ctx: NodeExecutionContext = {
      runId: run.runId,
      orgId: run.orgId,
      flowId: run.flowId,
      node,
      attempt,
      signal: controller.signal,
      scope,
      render: (value, at) => renderValue(value, scope, env, at),
      sandbox,
      sandboxLimits,
      http: (o) => state.http({ ...o, allowlist: run.egressAllowlist ?? [], signal: controller.signal }),
      reportEgressError: async (error) => {
        const refusal = egressRefusalOf(error);
        if (refusal)
          await this.hooks.egressRefused({
            orgId: run.orgId,
            runId: run.runId,
            flowId: run.flowId,
            nodeId: node.id,
            refusal,
          });
      },
      connectionAuth: (id) =>
        state.connectionAuth(id, (o) =>
          state.http({ ...o, allowlist: run.egressAllowlist ?? [], signal: controller.signal }),
        ),
      respond: (r) => state.respond(r),
    };
    try {
      const work = (async () => {
        const params = await this.renderParams(node, executor, ctx);
        if (!this.hooks.hasBeforeNodeExecute) return executor.execute(params, ctx);
        const decision = await this.beforeNode(state, node, attempt, params);
        if (decision.skip) return { output: decision.skip.output };
        return executor.execute(decision.params ?? params, ctx);
      })();
      work.catch(() => undefined);
      return await Promise.race([work, timedOut, aborted]);
    } finally {
      clearTimeout(timer);
      state.signal.removeEventListener('abort', onRunAbort);
    }
  }

  /** Plugins' `beforeNodeExecute`, after rendering: a failure fails the node (`plugin_error`), never ignored. */
  private async beforeNode(
    state: RunState,
    node: NodeDefinition,
    attempt: number,
    params: Record<string, unknown>,
  ): Promise<BeforeNodeExecuteDecision> {
    const run = state.run;
    try {
      return await this.hooks.beforeNodeExecute({
        orgId: run.orgId,
        runId: run.runId,
        flowId: run.flowId,
        version: run.version,
        nodeId: node.id,
        nodeType: node.type,
        attempt,
        params,
      });
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure(
        'plugin_error',
        `Refused before execution: ${e instanceof Error ? e.message.slice(0, 200) : 'hook failed'}`,
      );
    }
  }

  private async renderParams(
    node: NodeDefinition,
    executor: NodeExecutor,
    ctx: NodeExecutionContext,
  ): Promise<Record<string, unknown>> {
    const params = node.params ?? {};
    const raw = executor.rawParams ?? [];
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) {
      const value = raw.includes(k) ? v : await ctx.render(v, `params.${k}`);
      Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

export function abortFailure(state: RunState): StepFailure {
  return state.abortReason === 'timed_out'
    ? new StepFailure('timeout', `The run exceeded its maximum duration of ${state.run.limits.maxDurationMs} ms`)
    : new StepFailure('node_error', 'The run was cancelled');
}
