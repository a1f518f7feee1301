import { BACKGROUND_WORK } from '../../../core/core.module.js';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CronExpressionParser } from 'cron-parser';
import type { Logger } from 'pino';
import { AppConfig } from '../../../core/config/app-config.js';
import { LOGGER } from '../../../core/logging/logger.js';
import { FLOW_SOURCE, type FlowSource, type ScheduledFlowInfo } from '../definition/flow-source.port.js';
import type { ScheduleTriggerSettings } from '../definition/flow-definition.js';
import { ClusterBus } from '../../../core/cluster/cluster-bus.js';
import { FLOWS_CHANNEL } from './run-channels.js';
import { RUN_LAUNCHER, type RunLauncher } from './run-launcher.port.js';

const TICK_MS = 1000;
const RELOAD_MS = 15_000;

/** The next fire time strictly after `after` of a cron expression in a time zone (UTC by default); null if invalid. */
export function nextFireTime(settings: ScheduleTriggerSettings, after: Date): Date | null {
  try {
    return CronExpressionParser.parse(settings.cron, { currentDate: after, tz: settings.timezone || 'UTC' })
      .next()
      .toDate();
  } catch {
    return null;
  }
}

/**
 * Fires schedule triggers of enabled, published flows. Each fire time is a run with the idempotency key
 * `schedule:<ISO time>`, so with several instances exactly one creates it. Times missed while no instance ran
 * are not caught up (a schedule resumes at its next time).
 */
@Injectable()
export class ScheduleService implements OnApplicationBootstrap, OnModuleDestroy {
  private flows: ScheduledFlowInfo[] = [];
  private loadedAt = 0;
  private lastTick = new Date();
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(
    @Inject(BACKGROUND_WORK) private readonly background: boolean,
    @Inject(FLOW_SOURCE) private readonly source: FlowSource,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
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

  async tick(now = new Date()): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    const from = this.lastTick;
    try {
      if (Date.now() - this.loadedAt > RELOAD_MS) {
        this.flows = await this.source.listScheduledFlows();
        this.loadedAt = Date.now();
      }
      let fired = 0;
      for (const flow of this.flows) {
        const settings = flow.definition.trigger.settings as unknown as ScheduleTriggerSettings;
        const at = nextFireTime(settings, from);
        if (at && at <= now) fired += (await this.fire(flow, settings, at)) ? 1 : 0;
      }
      this.lastTick = now;
      return fired;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'schedule tick failed');
      return 0;
    } finally {
      this.ticking = false;
    }
  }

  private async fire(flow: ScheduledFlowInfo, settings: ScheduleTriggerSettings, at: Date): Promise<boolean> {
    const firedAt = at.toISOString();
    try {
      await this.launcher.launch({
        flow: { ...flow, enabled: true },
        trigger: { type: 'schedule', firedAt, cron: settings.cron, timezone: settings.timezone || 'UTC' },
        triggerType: 'schedule',
        storedInput: { firedAt },
        durable: true,
        idempotencyKey: `schedule:${firedAt}`,
      });
      return true;
    } catch (e) {
      // Another instance fired it (unique idempotency key), or the org is at its run limit: skip this time.
      if ((e as { code?: string }).code !== '23505')
        this.log.warn({ err: (e as Error).message, flowId: flow.flowId }, 'scheduled run not started');
      return false;
    }
  }
}
