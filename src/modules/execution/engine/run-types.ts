import type { FlowDefinition } from '../definition/flow-definition.js';
import type { RespondOutput } from './nodes/node-executor.js';
import type { RunError } from './run-errors.js';
import type { SandboxLimits } from './sandbox.port.js';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type FinalRunStatus = Exclude<RunStatus, 'queued' | 'running'>;

export type TriggerPayload =
  | { type: 'webhook'; body: unknown; headers: Record<string, string>; query: Record<string, unknown>; method: string }
  | { type: 'manual'; input: unknown }
  | { type: 'schedule'; firedAt: string; cron: string; timezone: string };

export interface RunLimits {
  maxSteps: number;
  maxDurationMs: number;
  /** Stored size of one step's output (larger outputs are kept as a truncated preview). */
  stepOutputMaxBytes: number;
  /** Default per-node timeout when a node sets none. */
  nodeTimeoutMs: number;
  sandbox: SandboxLimits;
}

export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxSteps: 1000,
  maxDurationMs: 5 * 60_000,
  stepOutputMaxBytes: 1024 * 1024,
  nodeTimeoutMs: 60_000,
  sandbox: { timeoutMs: 5000, memoryMb: 64 },
};

/** One execution request for the engine: a definition already pinned to a version (or the draft). */
export interface EngineRun {
  runId: string;
  orgId: string;
  /** The flow's project: connections are usable only when they belong to it or are offered to it by the org. */
  projectId?: string;
  flowId: string;
  version: number | 'draft';
  definition: FlowDefinition;
  trigger: TriggerPayload;
  limits: RunLimits;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  /** The org's egress allowlist (CIDRs and host names). */
  egressAllowlist?: readonly string[];
  /** Secret values known before the run starts (e.g. the webhook's auth secret): redacted like resolved ones. */
  knownSecrets?: readonly string[];
  /** Called once, when the first `respond` node runs (the waiting webhook answers then). */
  onRespond?(r: RespondOutput): void;
}

export interface StepRecord {
  nodeId: string;
  nodeType: string;
  attempt: number;
  /** Loop iteration index for nodes inside a loop body. */
  iteration?: number;
  status: 'succeeded' | 'failed';
  startedAt: Date;
  durationMs: number;
  /** Redacted and, past the configured size, truncated. */
  output?: unknown;
  error?: RunError;
}

export interface RunOutcome {
  status: FinalRunStatus;
  /** Redacted output: the respond body when one ran, else the last node's output. */
  output?: unknown;
  error?: RunError;
  response?: RespondOutput;
  steps: StepRecord[];
  startedAt: Date;
  finishedAt: Date;
}
