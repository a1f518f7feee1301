import type { SafeHttpRequestOptions, SafeHttpResponse } from '../../../egress/index.js';
import type { NodeDefinition } from '../../definition/flow-definition.js';
import type { SandboxCalls, SandboxLimits, SandboxScope } from '../sandbox.port.js';

/** What a `respond` node hands to the waiting webhook caller. */
export interface RespondOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Everything a node executor may use for one attempt. */
export interface NodeExecutionContext {
  runId: string;
  orgId: string;
  flowId: string;
  node: NodeDefinition;
  attempt: number;
  /** Aborted on cancellation, on the run's deadline and on this attempt's timeout. */
  signal: AbortSignal;
  scope: SandboxScope;
  /** Renders a raw parameter value (templates evaluated in the sandbox); `at` names it in error messages. */
  render(value: unknown, at: string): Promise<unknown>;
  sandbox: SandboxCalls;
  /** Sandbox limits for this attempt (the configured limits, shortened to the attempt's remaining time). */
  sandboxLimits(): SandboxLimits;
  /** SSRF-guarded HTTP with the org's allowlist and this attempt's signal applied. */
  http(options: SafeHttpRequestOptions): Promise<SafeHttpResponse>;
  /** Reports an error `http` threw: policy refusals become `egress.refused` audit entries (others are ignored). */
  reportEgressError?(error: unknown): Promise<void>;
  /** Headers and query parameters authenticating a request with a connection usable by the flow (secrets redacted). */
  connectionAuth(connectionId: string): Promise<{ headers: Record<string, string>; query: Record<string, string> }>;
  respond(r: RespondOutput): void;
}

export interface NodeResult {
  output: unknown;
  /** The output taken (branch): only edges with this handle are followed. Absent: every edge (but a body's). */
  handle?: string;
}

/** What runs a node type; registered with its schema through `NodeTypes.register`. */
export interface NodeExecutor {
  /** Parameters passed unrendered: the executor renders them itself (branch conditions) or never (code). */
  readonly rawParams?: readonly string[];
  execute(params: Record<string, unknown>, ctx: NodeExecutionContext): Promise<NodeResult>;
}
