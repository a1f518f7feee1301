import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Application } from 'express';
import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig } from '../../core/config/app-config.js';
import type { TrustProxyFn } from '../../core/http/client-address.js';
import { LOGGER } from '../../core/logging/logger.js';
import { Metrics } from '../../core/metrics/metrics.js';
import { RedisHolder } from '../../core/redis/redis.js';
import { Tracing } from '../../core/tracing/tracing.js';
import { ClusterBus } from '../../core/cluster/cluster-bus.js';
import {
  ExecutionModule,
  FLOW_SOURCE,
  FLOWS_CHANNEL,
  OrgRuntimeCache,
  RUN_LAUNCHER,
  type FlowSource,
  type RunLauncher,
} from '../execution/index.js';
import { MemoryReplayCache, RedisReplayCache } from './inbound/auth/replay-cache.js';
import { WebhookFlowCache } from './inbound/webhook-flow-cache.js';
import { WebhookHandler } from './inbound/webhook.handler.js';
import { WebhookRateLimits } from './inbound/webhook-rate-limits.js';
import { refusalCounter } from '../../core/http/rate-limit.js';
import { WebhooksController } from './inbound/webhooks.controller.js';

/**
 * Webhook triggers. `/hooks/*` is served by a lean handler placed in front of Express on the same server (the data
 * plane: Express costs about 4× per request); the controller only documents the route in OpenAPI.
 */
@Module({
  imports: [ExecutionModule],
  controllers: [WebhooksController],
})
export class WebhooksModule implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly tracing: Tracing,
    private readonly redis: RedisHolder,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    private readonly orgs: OrgRuntimeCache,
    private readonly bus: ClusterBus,
    @Inject(FLOW_SOURCE) private readonly flows: FlowSource,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Express's compiled `trust proxy` (set from TENANTFLOW_TRUST_PROXY before init); none trusted if absent. */
  private trustProxy(): TrustProxyFn {
    const app = this.adapterHost.httpAdapter.getInstance() as Application;
    const fn = app.get('trust proxy fn') as TrustProxyFn | undefined;
    return fn ?? (() => false);
  }

  onApplicationBootstrap(): void {
    if (!this.adapterHost.httpAdapter) return; // an application context without HTTP (the CLI)
    if (this.config.get('TENANTFLOW_MODE') === 'worker') return; // webhooks are taken by `api` processes
    const cache = new WebhookFlowCache((id) => this.flows.findPublishedForWebhook(id));
    this.bus.subscribe(FLOWS_CHANNEL, (flowId) => cache.forget(flowId));
    const replay = this.redis.client ? new RedisReplayCache(this.redis.client) : new MemoryReplayCache();
    const handler = new WebhookHandler({
      config: this.config,
      log: this.log,
      metrics: this.metrics,
      tracing: this.tracing,
      runs: this.launcher,
      orgs: this.orgs,
      flows: cache,
      replay,
      rateLimits: new WebhookRateLimits(
        { requests: this.config.get('TENANTFLOW_WEBHOOK_RATE_LIMIT'), perSeconds: 60 },
        this.redis.client,
        refusalCounter(this.metrics, 'webhook'),
      ),
      trustProxy: this.trustProxy(),
    });
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const others = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/hooks/')) handler.handle(req, res);
      else for (const l of others) l.call(server, req, res);
    });
  }
}
