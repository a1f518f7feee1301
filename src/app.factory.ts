import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type express from 'express';
import type { Logger } from 'pino';
import { MIGRATIONS } from '../migrations/index.js';
import { AppModule } from './app.module.js';
import { ClusterBus } from './core/cluster/cluster-bus.js';
import { AppConfig } from './core/config/app-config.js';
import { assertEncryptionKeyConfigured } from './core/crypto/master-keys.js';
import type { SettingName } from './core/config/settings.js';
import type { CoreDeps } from './core/core.module.js';
import { Database } from './core/database/database.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './core/database/embedded-postgres.js';
import { runMigrations } from './core/database/migrator.js';
import { GlobalExceptionFilter } from './core/errors/global-exception.filter.js';
import { problem, sendProblem } from './core/errors/problem.js';
import { DomainEventBus } from './core/events/domain-events.js';
import { Readiness } from './core/health/readiness.js';
import { requestContextMiddleware, requestObserver } from './core/http/middleware.js';
import { bodyMiddleware } from './core/http/body.js';
import { createValidationPipe } from './core/http/validation-pipe.js';
import { createLogger } from './core/logging/logger.js';
import { Metrics } from './core/metrics/metrics.js';
import { RedisHolder } from './core/redis/redis.js';
import { trustProxyValue } from './core/http/client-address.js';
import { Tracing } from './core/tracing/tracing.js';
import { ENTITIES } from './entities.js';
import { EmbedCors } from './modules/embed/index.js';
import { ServiceDenials } from './modules/authorization/index.js';
import { BootstrapService, CredentialsService, type FirstStart } from './modules/identity/index.js';
import { loadPlugins, pluginEntries, pluginMigrations, type LoadedPlugin } from './modules/plugins/index.js';
import { setupOpenApi } from './openapi.setup.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<Record<SettingName, string>>;
  /** Listen on HOST:PORT (default true). */
  listen?: boolean;
  /** Start schedules, recovery and retention timers (default true; false for one-shot tools). */
  background?: boolean;
  log?: Logger;
}

export interface RunningServer {
  app: NestExpressApplication;
  deps: CoreDeps;
  url: string;
  firstStart: FirstStart | null;
  /** Stops accepting, finishes in-flight requests (up to the shutdown timeout), then closes pools and PostgreSQL. */
  close(): Promise<void>;
}

/** Database first: embedded PostgreSQL when DATABASE_URL is unset, then migrations under a lock. */
export async function openDatabase(
  config: AppConfig,
  log: Logger,
  plugins: readonly LoadedPlugin[] = [],
): Promise<{ db: Database; embedded?: EmbeddedDatabase }> {
  let url = config.optional('DATABASE_URL');
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.get('TENANTFLOW_DATA_DIR'), log);
    url = embedded.url;
  }
  const appUrl = embedded?.appUrl ?? config.optional('TENANTFLOW_DATABASE_APP_URL');
  if (!appUrl && config.isProduction) {
    log.warn(
      'TENANTFLOW_DATABASE_APP_URL is not set: tenant queries switch into tenantflow_app from the DATABASE_URL login; give them their own login',
    );
  }
  const db = new Database({
    url,
    appUrl,
    entities: ENTITIES,
    migrations: [...MIGRATIONS, ...pluginMigrations(plugins)],
    poolSize: config.get('TENANTFLOW_DB_POOL_SIZE'),
  });
  try {
    await db.connectSystem();
    await runMigrations(db, log);
    // The embedded cluster is ours: the runtime role gets its own login (password kept in the data directory).
    if (embedded) await db.setAppRolePassword(embedded.appPassword);
    await db.connectApp();
  } catch (e) {
    await db.close();
    await embedded?.stop();
    throw e;
  }
  return { db, embedded };
}

function configureHttp(app: NestExpressApplication, deps: CoreDeps): void {
  const { config, log, metrics, tracing } = deps;
  // X-Forwarded-For is believed only from the trusted proxies named here (default none); `/hooks` reuses the check.
  app.set('trust proxy', trustProxyValue(config.get('TENANTFLOW_TRUST_PROXY')));
  app.disable('x-powered-by');
  // No automatic body-hash ETags (a hash of every response); routes that mean one (drafts) set it themselves.
  app.set('etag', false);
  // Embedded pages' CORS preflights, answered before the router (they carry no credential).
  app.use(app.get(EmbedCors).preflight());
  app.use(requestContextMiddleware(requestObserver(config, log, metrics, tracing)));
  // A worker serves only its probes and metrics; the API and webhooks are the `api` processes' business.
  if (config.get('TENANTFLOW_MODE') === 'worker') app.use(workerRoutesOnly());
  // One body stage: codings and charsets checked, bodies parsed (raw bytes kept for webhook HMACs), shapes bounded.
  app.use(bodyMiddleware(config.get('TENANTFLOW_BODY_LIMIT')));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new GlobalExceptionFilter(log, app.get(ServiceDenials).observe));
}

const WORKER_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

function workerRoutesOnly() {
  return (req: express.Request, res: express.Response, next: express.NextFunction): void => {
    if (WORKER_ROUTES.has(req.path)) return next();
    sendProblem(res, problem(404, 'not_found', 'This process is a worker: it serves /health and /metrics only'));
  };
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const config = AppConfig.fromEnv(opts.env ?? process.env, opts.overrides);
  assertEncryptionKeyConfigured(config);
  const log = opts.log ?? createLogger(config.get('LOG_LEVEL'));
  // Plugins first: a bad one stops the start before anything runs, and their migrations join the one migration run.
  const plugins = await loadPlugins(pluginEntries(config.optional('TENANTFLOW_PLUGINS')));
  const { db, embedded } = await openDatabase(config, log, plugins);
  const redis = new RedisHolder(config.optional('REDIS_URL'), config.optional('TENANTFLOW_REDIS_KEY_PREFIX'), (err) =>
    log.warn({ err: err.message }, 'Redis connection error'),
  );
  const deps: CoreDeps = {
    config,
    db,
    log,
    events: new DomainEventBus(),
    metrics: new Metrics({ role: config.get('TENANTFLOW_MODE'), processMetrics: true }),
    tracing: Tracing.fromConfig(config, log),
    readiness: new Readiness(),
    redis,
    background: opts.background ?? true,
  };
  deps.metrics.gauge('db_pool_connections', 'Database pool connections by pool and state.', ['pool', 'state'], (g) => {
    for (const p of db.poolStats()) {
      g.set({ pool: p.name, state: 'total' }, p.total);
      g.set({ pool: p.name, state: 'idle' }, p.idle);
      g.set({ pool: p.name, state: 'waiting' }, p.waiting);
    }
  });
  let app: NestExpressApplication | undefined;
  let firstStart: FirstStart | null;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.register(deps, plugins), {
      bodyParser: false,
      logger: false,
      abortOnError: false,
    });
    configureHttp(app, deps);
    setupOpenApi(app);
    await app.init();
    // Every module has subscribed by now (constructors, bootstrap hooks): one connection listens for all.
    await app.get(ClusterBus).start();
    await app.get(CredentialsService).start();
    // Shared rate limits refuse (503) while Redis is not connected: give the first connection a moment.
    if (!(await redis.connected(5000))) log.warn('Redis is not reachable yet: rate-limited requests answer 503');
    // Bind the port before the first-start bootstrap: a taken port must not create keys that are never shown.
    if (opts.listen !== false) await app.listen(config.get('PORT'), config.get('HOST'));
    firstStart = await app.get(BootstrapService).ensureInitialized();
  } catch (e) {
    // Whatever step failed, nothing is left running: no listener, no pool, no embedded PostgreSQL.
    await app?.close().catch(() => undefined);
    await deps.tracing?.shutdown();
    await db.close();
    await redis.close();
    await embedded?.stop();
    throw e;
  }
  const server = app.getHttpServer() as Server;
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : config.get('PORT');
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutdown(app, server, deps, embedded, config.get('TENANTFLOW_SHUTDOWN_TIMEOUT')));
  return { app, deps, url: config.publicUrl(port), firstStart, close };
}

async function shutdown(
  app: NestExpressApplication,
  server: Server,
  deps: CoreDeps,
  embedded: EmbeddedDatabase | undefined,
  timeoutMs: number,
): Promise<void> {
  // Stop accepting; idle keep-alive sockets close now, busy ones after their response.
  const drained = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await drained;
  clearTimeout(timer);
  await app.close();
  // Spans still buffered (the last requests and runs) go out before the process ends.
  await deps.tracing?.shutdown();
  await deps.db.close();
  await deps.redis.close();
  await embedded?.stop();
  deps.log.flush();
}
