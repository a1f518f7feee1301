import { Injectable } from '@nestjs/common';
import { Metrics, type Counter, type Histogram } from '../../../core/metrics/metrics.js';
import { markFailed, Tracing } from '../../../core/tracing/tracing.js';
import type { SandboxRunInfo } from '../../sandbox/index.js';
import type { RunOutcome } from '../engine/run-types.js';
import type { LaunchRequest } from '../runs/run-launcher.port.js';

/** Run durations, seconds: from webhook replies in milliseconds to runs near the 15-minute ceiling. */
const RUN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/** What a run's span and metrics need to know of it; ids go to the span only, never to metric labels. */
export interface TrackedRun {
  id: string;
  orgId: string;
  flowId: string;
  triggerType: LaunchRequest['triggerType'];
}

/**
 * Observes run executions wherever a launcher runs them: one `run` span (child of the request or job that launched
 * it), and the finished-runs counter and duration histogram by trigger type and final status.
 */
@Injectable()
export class RunTelemetry {
  private readonly finished: Counter<'trigger' | 'status'>;
  private readonly duration: Histogram<'trigger' | 'status'>;

  constructor(
    metrics: Metrics,
    private readonly tracing: Tracing,
  ) {
    this.finished = metrics.counter('tenantflow_runs_finished_total', 'Runs finished, by trigger type and status.', [
      'trigger',
      'status',
    ]);
    this.duration = metrics.histogram(
      'tenantflow_run_duration_seconds',
      'Run duration from start to end, by trigger type and status.',
      ['trigger', 'status'],
      RUN_BUCKETS,
    );
  }

  /** Runs `execute` (one run's execution) in the run's span and counts its end. */
  track(run: TrackedRun, execute: () => Promise<RunOutcome>): Promise<RunOutcome> {
    const attrs = {
      'tenantflow.run.id': run.id,
      'tenantflow.flow.id': run.flowId,
      'tenantflow.org.id': run.orgId,
      'tenantflow.run.trigger': run.triggerType,
    };
    return this.tracing.startActiveSpan('run', attrs, async (span) => {
      const outcome = await execute();
      span.setAttribute('tenantflow.run.status', outcome.status);
      if (outcome.status === 'failed' || outcome.status === 'timed_out')
        markFailed(span, outcome.error?.type ?? outcome.status);
      const labels = { trigger: run.triggerType, status: outcome.status };
      this.finished.inc(labels);
      this.duration.observe(labels, (outcome.finishedAt.getTime() - outcome.startedAt.getTime()) / 1000);
      return outcome;
    });
  }
}

/** The sandbox pool's `onRun` observer: counts failed calls by kind (code, expressions) and reason. */
export function countSandboxFailures(metrics: Metrics): (info: SandboxRunInfo) => void {
  const failures = metrics.counter(
    'tenantflow_sandbox_failures_total',
    'Sandbox calls that failed, by call kind and reason (timeout, memory, user_error).',
    ['kind', 'reason'],
  );
  return (info) => {
    if (info.outcome !== 'ok') failures.inc({ kind: info.kind, reason: info.outcome });
  };
}
