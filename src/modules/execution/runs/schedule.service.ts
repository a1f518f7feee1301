import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { Database } from '../../../core/database/database.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { FLOW_SOURCE, type FlowSource, type ScheduledFlowInfo } from '../definition/flow-source.port.js';
import type { ScheduleTriggerSettings } from '../definition/flow-definition.js';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { FLOWS_CHANNEL } from './run-channels.js';
import { RUN_LAUNCHER, type RunLauncher } from './run-launcher.port.js';
import { CATCH_UP_WINDOW_MS, dueFireTimes, fireTimeOfKey, MAX_FIRES_PER_TICK, scheduleKey } from './schedule-times.js';

export { nextFireTime } from './schedule-times.js';

const TICK_MS = 1000;
const RELOAD_MS = 15_000;

/** What happened to one fire time. `retry`: the org is at its run limit and the flow catches up, so try again. */
type FireResult = 'fired' | 'taken' | 'skipped' | 'retry';

const settingsOf = (flow: ScheduledFlowInfo) => flow.definition.trigger.settings as unknown as ScheduleTriggerSettings;

/**
 * Fires schedule triggers of enabled, published flows. Each fire time is a run with the idempotency key
 * `schedule:<ISO time>`, unique per flow, so however many processes tick, exactly one creates it. Each process
 * keeps a cursor per flow and every tick fires every time in (cursor, now], oldest first, so a late tick skips
 * nothing. When a process first sees a flow (at start, or when it is published or enabled) the cursor starts at
 * the previous tick (`missed: skip`) or, with `missed: catchUp`, at the flow's last fire time found in its runs,
 * within {@link CATCH_UP_WINDOW_MS} and never before the flow was last enabled (or its org reactivated).
 */
@Injectable()
export class ScheduleService implements OnApplicationBootstrap, OnModuleDestroy {
  private flows: ScheduledFlowInfo[] = [];
  /** Per flow id: the last fire time handled (or the time its scheduling started from). */
  private readonly cursors = new Map<string, Date>();
  private loadedAt = 0;
  private lastTick = new Date();
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    @Inject(FLOW_SOURCE) private readonly source: FlowSource,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    private readonly db: Database,
    bus: ClusterBus,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly config: AppConfig,
  ) {
    bus.subscribe(FLOWS_CHANNEL, () => this.invalidate());
  }

  onApplicationBootstrap(): void {
    // `api` processes take requests only; `worker` and `all` processes fire schedules (exactly once between them).
    if (!this.background || this.config.get('TENANTFLOW_MODE') === 'api') return;
    this.lastTick = new Date();
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Drops the loaded list (a flow was published, enabled or disabled). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  /** Fires every due time of every scheduled flow; returns how many runs this process created. */
  async tick(now = new Date()): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    try {
      if (Date.now() - this.loadedAt > RELOAD_MS) await this.load(now);
      let fired = 0;
      for (const flow of this.flows) fired += await this.fireDue(flow, now);
      this.lastTick = now;
      return fired;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'schedule tick failed');
      return 0;
    } finally {
      this.ticking = false;
    }
  }

  private async load(now: Date): Promise<void> {
    const flows = await this.source.listScheduledFlows();
    const ids = new Set(flows.map((f) => f.flowId));
    for (const id of this.cursors.keys()) if (!ids.has(id)) this.cursors.delete(id);
    for (const flow of flows) {
      if (this.cursors.has(flow.flowId)) continue;
      this.cursors.set(
        flow.flowId,
        settingsOf(flow).missed === 'catchUp' ? await this.catchUpFrom(flow, now) : this.lastTick,
      );
    }
    this.flows = flows;
    this.loadedAt = Date.now();
  }

  /** Where a catch-up starts: the flow's last fire time, but not before the window or the flow was last switched on. */
  private async catchUpFrom(flow: ScheduledFlowInfo, now: Date): Promise<Date> {
    // Schedule runs are created in fire-time order, so the newest few by id hold the last fire time.
    const [row] = await this.db.readOrg<{ key: string | null }>(
      flow.orgId,
      `SELECT max(idempotency_key COLLATE "C") AS key FROM (
         SELECT idempotency_key FROM run
          WHERE org_id = $1 AND flow_id = $2 AND trigger_type = 'schedule' AND idempotency_key LIKE 'schedule:%'
          ORDER BY id DESC LIMIT 20) r`,
      [flow.orgId, flow.flowId],
    );
    const last = fireTimeOfKey(row?.key);
    // Never fired: nothing was missed, it starts now like a skipping flow.
    if (!last) return this.lastTick;
    const floor = Math.max(now.getTime() - CATCH_UP_WINDOW_MS, new Date(flow.activeSince).getTime());
    return new Date(Math.max(last.getTime(), floor));
  }

  private async fireDue(flow: ScheduledFlowInfo, now: Date): Promise<number> {
    const settings = settingsOf(flow);
    const from = this.cursors.get(flow.flowId) ?? this.lastTick;
    let fired = 0;
    for (const at of dueFireTimes(settings, from, now, MAX_FIRES_PER_TICK)) {
      const result = await this.fire(flow, settings, at);
      if (result === 'retry') return fired; // the cursor stays before `at`
      this.cursors.set(flow.flowId, at);
      if (result === 'fired') fired++;
    }
    this.cursors.set(flow.flowId, now);
    return fired;
  }

  private async fire(flow: ScheduledFlowInfo, settings: ScheduleTriggerSettings, at: Date): Promise<FireResult> {
    const firedAt = at.toISOString();
    const { activeSince: _activeSince, ...runnable } = flow;
    try {
      await this.launcher.launch({
        flow: { ...runnable, enabled: true },
        trigger: { type: 'schedule', firedAt, cron: settings.cron, timezone: settings.timezone || 'UTC' },
        triggerType: 'schedule',
        storedInput: { firedAt },
        durable: true,
        idempotencyKey: scheduleKey(at),
      });
      return 'fired';
    } catch (e) {
      const code = (e as { code?: string }).code;
      // Another process fired it (unique idempotency key).
      if (code === '23505') return 'taken';
      // At the org's run limit a catching-up flow keeps the time for the next tick; others skip it.
      if (code === 'run_limit_reached' && settings.missed === 'catchUp') return 'retry';
      this.log.warn({ err: (e as Error).message, flowId: flow.flowId }, 'scheduled run not started');
      return 'skipped';
    }
  }
}
