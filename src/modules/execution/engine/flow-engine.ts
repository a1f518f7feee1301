import type { Tracing } from '../../../core/tracing/tracing.js';
import type { EdgeDefinition, FlowDefinition, NodeDefinition } from '../definition/flow-definition.js';
import { TRIGGER_ID } from '../definition/flow-definition.js';
import { ExecutionHooks } from './execution-hooks.js';
import { compilePlan, scheduledWithin, type FlowPlan } from './graph.js';
import { NodeRunner, abortFailure } from './node-runner.js';
import type { NodeResult } from './nodes/node-executor.js';
import { NodeTypes } from './nodes/node-types.js';
import { StepFailure, toStepFailure, type RunError } from './run-errors.js';
import { NO_SECRETS, RunState, type ConnectionAuthPort, type HttpClient, type SecretResolver } from './run-state.js';
import type { EngineRun, RunOutcome, TriggerPayload } from './run-types.js';
import type { SandboxScope, ScriptSandbox } from './sandbox.port.js';

export interface FlowEngineDeps {
  sandbox: ScriptSandbox;
  hooks?: ExecutionHooks;
  secrets?: SecretResolver;
  /** Node types (schema and executor); default: the built-in ones. */
  nodeTypes?: NodeTypes;
  /** Outbound HTTP (default: the SSRF-guarded client). Tests inject a resolver through it. */
  http?: HttpClient;
  /** Applies `connectionId` on `http.request` nodes (the connections module's runtime). */
  connections?: ConnectionAuthPort;
  /** One span per node step when tracing is on. */
  tracing?: Tracing;
}

type LoopFrame = { index: number };

/** What expressions see as `trigger` (API.md: webhook body/headers/query; manual input). */
export function triggerScope(t: TriggerPayload): unknown {
  switch (t.type) {
    case 'webhook':
      return { body: t.body, headers: t.headers, query: t.query, method: t.method };
    case 'manual':
      return { input: t.input };
    case 'schedule':
      return { firedAt: t.firedAt, cron: t.cron, timezone: t.timezone };
  }
}

/**
 * Executes a flow definition: nodes in topological order, each once an edge into it was taken (branch handles
 * choose edges), loop bodies once per item. One node at a time, so runs are deterministic. Never throws:
 * every ending is a {@link RunOutcome}.
 */
export class FlowEngine {
  private readonly types: NodeTypes;
  private readonly plans = new WeakMap<FlowDefinition, FlowPlan>();
  private readonly bodyOutputOf = (type: string) => this.types.get(type)?.spec.bodyOutput;
  private readonly runner: NodeRunner;
  readonly hooks: ExecutionHooks;

  constructor(private readonly deps: FlowEngineDeps) {
    this.hooks = deps.hooks ?? new ExecutionHooks();
    this.types = deps.nodeTypes ?? new NodeTypes();
    this.runner = new NodeRunner(deps.sandbox, this.hooks);
  }

  async execute(run: EngineRun): Promise<RunOutcome> {
    const state = new RunState(run, this.deps.secrets ?? NO_SECRETS, this.deps.http, this.deps.connections);
    const trigger = triggerScope(run.trigger);
    state.sandbox = this.deps.sandbox.openRun?.(run.orgId);
    try {
      const plan = compilePlan(run.definition, this.bodyOutputOf, this.plans);
      const entries = (plan.outgoing.get(TRIGGER_ID) ?? []).map((e) => e.to).filter((id) => plan.topLevel.has(id));
      const last = await this.runScope(state, plan, plan.topLevel, entries, trigger, trigger);
      const output = state.response ? state.response.body : last;
      return this.finish(state, 'succeeded', state.redactor.value(output));
    } catch (e) {
      if (state.abortReason === 'cancelled') return this.finish(state, 'cancelled');
      const f = state.abortReason ? abortFailure(state) : toStepFailure(e);
      const error: RunError = {
        type: f.type,
        message: state.redactor.text(f.message),
        nodeId: (e as { nodeId?: string }).nodeId,
      };
      return this.finish(state, state.abortReason === 'timed_out' ? 'timed_out' : 'failed', undefined, error);
    } finally {
      state.sandbox?.release();
      state.dispose();
    }
  }

  private finish(state: RunState, status: RunOutcome['status'], output?: unknown, error?: RunError): RunOutcome {
    const response = state.response
      ? { ...state.response, body: state.redactor.value(state.response.body) }
      : undefined;
    return { status, output, error, response, steps: state.steps, startedAt: state.startedAt, finishedAt: new Date() };
  }

  /** Runs the nodes of one scope (the top level or one loop iteration); returns the last output produced. */
  private async runScope(
    state: RunState,
    plan: FlowPlan,
    members: Set<string>,
    entries: string[],
    entryInput: unknown,
    trigger: unknown,
    loop?: LoopFrame,
  ): Promise<unknown> {
    const scheduled = scheduledWithin(plan, members);
    const pending = new Map<string, unknown>();
    for (const id of entries) if (scheduled.has(id)) pending.set(id, entryInput);
    let last: unknown = entryInput;
    for (const id of plan.order) {
      if (!pending.has(id)) continue;
      if (state.abortReason) throw abortFailure(state);
      const node = plan.nodes.get(id)!;
      const input = pending.get(id);
      const scope: SandboxScope = { trigger, nodes: state.outputs, input };
      const result = node.disabled ? { output: input } : await this.runNode(state, plan, node, scope, trigger, loop);
      state.outputs[id] = { output: result.output };
      last = result.output;
      for (const edge of plan.outgoing.get(id) ?? []) {
        if (!scheduled.has(edge.to) || !takesEdge(plan, node, result, edge)) continue;
        // With several incoming edges taken, the latest finished predecessor's output is the input.
        pending.set(edge.to, result.output);
      }
    }
    return last;
  }

  private async runNode(
    state: RunState,
    plan: FlowPlan,
    node: NodeDefinition,
    scope: SandboxScope,
    trigger: unknown,
    loop?: LoopFrame,
  ): Promise<NodeResult> {
    const type = this.types.get(node.type);
    if (!type)
      throw Object.assign(new StepFailure('node_error', `Unknown node type "${node.type}"`), { nodeId: node.id });
    const step = () => this.runner.run(state, node, type.executor, scope, loop?.index);
    const tracing = this.deps.tracing;
    const result = await (tracing?.enabled
      ? tracing.startActiveSpan(
          `node ${node.type}`,
          { 'tenantflow.node.id': node.id, 'tenantflow.node.type': node.type },
          step,
        )
      : step());
    const bodyHandle = plan.bodyHandles.get(node.id);
    if (bodyHandle === undefined) return result;
    // A type with a body output (loop): its output is the items, the body runs once per item.
    const body = plan.bodies.get(node.id) ?? new Set<string>();
    const entries = (plan.outgoing.get(node.id) ?? []).filter((e) => e.handle === bodyHandle).map((e) => e.to);
    const results: unknown[] = [];
    const items = result.output as unknown[];
    for (let index = 0; index < items.length; index++) {
      results.push(await this.runScope(state, plan, body, entries, items[index], trigger, { index }));
    }
    return { output: results };
  }
}

/** Body edges are the node's own to run (per item); a result naming an output takes only that output's edges. */
function takesEdge(plan: FlowPlan, node: NodeDefinition, result: NodeResult, edge: EdgeDefinition): boolean {
  if (edge.handle !== undefined && edge.handle === plan.bodyHandles.get(node.id)) return false;
  if (result.handle !== undefined) return edge.handle === result.handle;
  return true;
}
