import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterBus, ClusterChannel } from '../../../../core/cluster/cluster-bus.js';
import type { AppConfig } from '../../../../core/config/app-config.js';
import type { Database } from '../../../../core/database/database.js';
import type { DomainEventBus } from '../../../../core/events/domain-events.js';
import { Metrics } from '../../../../core/metrics/metrics.js';
import { Tracing } from '../../../../core/tracing/tracing.js';
import type { FlowEngine } from '../../engine/flow-engine.js';
import type { EngineRun, RunOutcome } from '../../engine/run-types.js';
import type { RunAdmission } from '../run-admission.js';
import { RunExecutor } from '../run-executor.js';
import { InProcessRunLauncher } from '../in-process-run-launcher.js';
import type { OrgRuntimeCache } from '../org-runtime.js';
import { RUN_CANCEL_CHANNEL } from '../run-channels.js';
import type { LaunchRequest } from '../run-launcher.port.js';
import { InProcessRunSlots } from '../run-slots.js';
import type { RunWriter } from '../run-writer.js';
import { RunTelemetry } from '../../telemetry/run-telemetry.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const settings: Record<string, number> = {
  TENANTFLOW_RUN_MAX_CONCURRENT: 5,
  TENANTFLOW_RUN_MAX_STEPS: 100,
  TENANTFLOW_RUN_MAX_DURATION: 60_000,
  TENANTFLOW_STEP_OUTPUT_LIMIT: 1024,
  TENANTFLOW_SANDBOX_TIMEOUT: 1000,
  TENANTFLOW_SANDBOX_MEMORY_MB: 32,
};

/** An engine whose runs respond, then wait to be released or aborted. */
function fakeEngine(output: unknown = { ok: true }) {
  const release: (() => void)[] = [];
  const engine = {
    async execute(run: EngineRun): Promise<RunOutcome> {
      run.onRespond?.({ status: 201, headers: {}, body: 'early' });
      const aborted = await new Promise<boolean>((resolve) => {
        release.push(() => resolve(false));
        run.signal?.addEventListener('abort', () => resolve(true));
      });
      const now = new Date();
      return { status: aborted ? 'cancelled' : 'succeeded', output, steps: [], startedAt: now, finishedAt: now };
    },
  };
  return { engine: engine as unknown as FlowEngine, finish: () => release.splice(0).forEach((r) => r()) };
}

function launcherWith(engine: FlowEngine) {
  const written: string[] = [];
  const writer = {
    enqueue: (run: { id: string }) => written.push(run.id),
    has: (id: string) => written.includes(id),
    flush: async () => undefined,
  };
  const published: { channel: string; message: unknown }[] = [];
  const handlers = new Map<string, (m: unknown) => void>();
  const bus = {
    subscribe: (c: ClusterChannel<unknown>, fn: (m: unknown) => void) => handlers.set(c.name, fn),
    publish: async (c: ClusterChannel<unknown>, message: unknown) => void published.push({ channel: c.name, message }),
  };
  const orgs = { get: async () => ({ active: true, egressAllowlist: [], limits: {} }) };
  const config = { get: (k: string) => settings[k] } as unknown as AppConfig;
  const log = pino({ level: 'silent' });
  const launcher = new InProcessRunLauncher(
    config,
    writer as unknown as RunWriter,
    orgs as unknown as OrgRuntimeCache,
    { admit: async () => undefined } as unknown as RunAdmission,
    new RunExecutor(
      {} as Database,
      config,
      {} as DomainEventBus,
      engine,
      log,
      new RunTelemetry(new Metrics(), Tracing.disabled()),
    ),
    new InProcessRunSlots(),
    'instance-1',
    log,
    bus as unknown as ClusterBus,
  );
  return { launcher, written, published, handlers };
}

const request = (over: Partial<LaunchRequest> = {}): LaunchRequest =>
  ({
    flow: {
      orgId: ORG,
      projectId: ORG,
      flowId: ORG,
      enabled: true,
      version: 1,
      definition: { schemaVersion: 1, trigger: { type: 'webhook' }, nodes: [], edges: [] },
    },
    trigger: { type: 'webhook', body: {}, headers: {}, query: {}, method: 'POST' },
    triggerType: 'webhook',
    storedInput: {},
    durable: false,
    ...over,
  }) as LaunchRequest;

describe('InProcessRunLauncher behind the RunLauncher port', () => {
  it('answers an awaited run with its respond answer, then with its outcome, and tracks it while active', async () => {
    const { engine, finish } = fakeEngine();
    const { launcher, written } = launcherWith(engine);
    const { runId } = await launcher.launch(request({ awaited: true }));
    expect(await launcher.isActive(runId)).toMatchObject({ orgId: ORG, recorded: false, triggerType: 'webhook' });
    expect(await launcher.awaitOutcome(runId, { timeoutMs: 1000, untilRespond: true })).toEqual({
      kind: 'responded',
      response: { status: 201, headers: {}, body: 'early' },
    });
    const second = await launcher.launch(request({ awaited: true }));
    const waiting = launcher.awaitOutcome(second.runId, { timeoutMs: 1000 });
    finish();
    expect(await waiting).toMatchObject({ kind: 'finished', outcome: { status: 'succeeded', output: { ok: true } } });
    expect(await launcher.isActive(second.runId)).toBeNull();
    expect(written).toContain(second.runId);
  });

  it('cancels its own run at once, signals the cluster for others, and obeys cancellations from the bus', async () => {
    const { engine } = fakeEngine();
    const { launcher, published, handlers } = launcherWith(engine);
    const { runId } = await launcher.launch(request({ awaited: true }));
    expect(await launcher.cancel(ORG, runId)).toBe('stopped');
    expect(await launcher.awaitOutcome(runId, { timeoutMs: 1000 })).toMatchObject({
      kind: 'finished',
      outcome: { status: 'cancelled' },
    });
    const elsewhere = '01900000-0000-7000-8000-000000000009';
    expect(await launcher.cancel(ORG, elsewhere)).toBe('signalled');
    expect(published).toEqual([{ channel: RUN_CANCEL_CHANNEL.name, message: elsewhere }]);
    const fromBus = await launcher.launch(request({ awaited: true }));
    handlers.get(RUN_CANCEL_CHANNEL.name)!(fromBus.runId);
    expect(await launcher.awaitOutcome(fromBus.runId, { timeoutMs: 1000 })).toMatchObject({
      kind: 'finished',
      outcome: { status: 'cancelled' },
    });
  });

  it('keeps a run output within the step output limit (a truncated preview past it)', async () => {
    const { engine, finish } = fakeEngine('x'.repeat(5000));
    const { launcher } = launcherWith(engine);
    const { runId } = await launcher.launch(request({ awaited: true }));
    const waiting = launcher.awaitOutcome(runId, { timeoutMs: 1000 });
    finish();
    expect(await waiting).toMatchObject({ kind: 'finished', outcome: { output: { truncated: true, bytes: 5002 } } });
  });

  it('ends a run `failed` when the engine throws (a fault of ours), never carrying the text of the fault', async () => {
    const engine = {
      execute: async () => {
        throw new Error('boom with s3cr3t-value inside');
      },
    } as unknown as FlowEngine;
    const { launcher, written } = launcherWith(engine);
    const { runId } = await launcher.launch(request({ awaited: true }));
    const ended = await launcher.awaitOutcome(runId, { timeoutMs: 1000 });
    expect(ended).toMatchObject({
      kind: 'finished',
      outcome: { status: 'failed', error: { type: 'node_error', message: 'The run failed unexpectedly' }, steps: [] },
    });
    expect(JSON.stringify(ended)).not.toContain('s3cr3t');
    expect(written).toContain(runId);
    expect(await launcher.isActive(runId)).toBeNull();
  });

  it('refuses a run past the org concurrency limit with 429', async () => {
    const { engine } = fakeEngine();
    const { launcher } = launcherWith(engine);
    for (let i = 0; i < 5; i++) await launcher.launch(request());
    await expect(launcher.launch(request())).rejects.toMatchObject({ code: 'run_limit_reached', status: 429 });
  });
});
