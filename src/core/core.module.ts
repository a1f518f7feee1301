import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClusterBus } from './cluster/cluster-bus.js';
import { createClusterBus } from './cluster/create-cluster-bus.js';
import { AppConfig } from './config/app-config.js';
import { KeyRing } from './crypto/key-ring.js';
import { SecretBox } from './crypto/secret-box.js';
import { Database } from './database/database.js';
import { DomainEventBus } from './events/domain-events.js';
import { Readiness } from './health/readiness.js';
import { LOGGER } from './logging/logger.js';
import { Metrics } from './metrics/metrics.js';
import { RedisHolder } from './redis/redis.js';
import { Tracing } from './tracing/tracing.js';

/** DI token: true in the server, false in one-shot processes (CLI, OpenAPI writer) that must start no timers. */
export const BACKGROUND_WORK = Symbol('BACKGROUND_WORK');

export interface CoreDeps {
  config: AppConfig;
  db: Database;
  log: Logger;
  events: DomainEventBus;
  metrics: Metrics;
  /** OpenTelemetry traces (default: off). */
  tracing?: Tracing;
  readiness: Readiness;
  redis: RedisHolder;
  /** Start schedules, recovery sweeps, retention and other timers (default true). */
  background?: boolean;
}

/** Process-wide singletons, created before Nest (the database must be up first) and shared with every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(deps: CoreDeps): DynamicModule {
    const providers = [
      { provide: AppConfig, useValue: deps.config },
      { provide: Database, useValue: deps.db },
      { provide: LOGGER, useValue: deps.log },
      { provide: DomainEventBus, useValue: deps.events },
      { provide: Metrics, useValue: deps.metrics },
      { provide: Tracing, useValue: deps.tracing ?? Tracing.disabled() },
      { provide: Readiness, useValue: deps.readiness },
      { provide: RedisHolder, useValue: deps.redis },
      { provide: BACKGROUND_WORK, useValue: deps.background ?? true },
      // Connected by the server once every module has subscribed (startServer); one-shot processes never connect it.
      { provide: ClusterBus, useFactory: () => createClusterBus(deps.db, deps.redis, deps.log) },
    ];
    // One key ring per process (master keys loaded once, one development-key warning).
    const crypto = [SecretBox, KeyRing];
    return {
      module: CoreModule,
      providers: [...providers, ...crypto],
      exports: [...providers.map((p) => p.provide), ...crypto],
    };
  }
}
