import { jsonChannel, textChannel } from '../../../core/cluster/cluster-bus.js';
import { UUID_RE } from '../../../core/crypto/tokens.js';
import type { RespondOutput } from '../engine/nodes/node-executor.js';
import type { RunOutcome } from '../engine/run-types.js';

const isUuid = (s: string): boolean => UUID_RE.test(s);

/** A run id to cancel: the process executing it aborts it. */
export const RUN_CANCEL_CHANNEL = textChannel('tenantflow_run_cancel', isUuid);

/** A flow id whose published definition, enabled state or existence changed (webhook and schedule caches). */
export const FLOWS_CHANNEL = textChannel('tenantflow_flows', isUuid);

/** An org id whose status or settings changed (run limits, egress allowlist). */
export const ORGS_CHANNEL = textChannel('tenantflow_orgs', isUuid);

/**
 * A run's `respond` answer and its end, keyed by run id, for a launcher whose runs execute in another process
 * (the in-process launcher delivers both by direct call and does not publish them). On PostgreSQL a message must
 * stay under 8000 bytes: a worker publishes large outcomes as `{runId, kind: 'finished'}` without `outcome` and the
 * waiting side reads the run row.
 */
export type RunEvent =
  | { runId: string; kind: 'responded'; response: RespondOutput }
  | { runId: string; kind: 'finished'; outcome?: RunOutcome };

const isRunEvent = (v: unknown): v is RunEvent => {
  const e = v as RunEvent | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.runId === 'string' &&
    isUuid(e.runId) &&
    (e.kind === 'responded' || e.kind === 'finished')
  );
};

export const RUN_EVENTS_CHANNEL = jsonChannel<RunEvent>('tenantflow_run_events', isRunEvent);
