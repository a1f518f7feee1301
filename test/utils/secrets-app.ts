import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { inject } from 'vitest';
import { startServer } from '../../src/app.factory.js';
import type { SettingName } from '../../src/core/config/settings.js';
import { PlatformKeysService, PlatformService } from '../../src/modules/identity/index.js';
import { uniqueSlug, type TestApp } from './test-app.js';

/** Prefix the secrets tests give the env provider. */
export const ENV_PREFIX = 'TF_ORG_SECRET_';

/**
 * The real application with extra process environment (for the env secret provider) and every log line captured at
 * trace level in `logs()`.
 */
export async function secretsTestApp(
  env: Record<string, string> = {},
  overrides: Partial<Record<SettingName, string>> = {},
): Promise<TestApp & { logs(): string }> {
  let lines = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines += chunk.toString();
      done();
    },
  });
  const server = await startServer({
    env: { NODE_ENV: 'test', ...env },
    overrides: {
      DATABASE_URL: inject('databaseUrl'),
      PORT: '0',
      HOST: '127.0.0.1',
      TENANTFLOW_SECRETS_ENV_PREFIX: ENV_PREFIX,
      TENANTFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      ...overrides,
    },
    log: pino({ level: 'trace' }, sink),
  });
  const platformKey = (await server.app.get(PlatformKeysService).create('test')).key;
  return {
    server,
    url: server.url,
    platformKey,
    logs: () => lines,
    http: () => request(server.url),
    async createOrg(slug = uniqueSlug('sec')) {
      const created = await server.app
        .get(PlatformService)
        .createOrg({ name: slug, slug }, { type: 'system', id: null });
      return { id: created.org.id, slug, ownerKey: created.ownerApiKey.key };
    },
    close: () => server.close(),
  };
}

/** Lets the org's flows and secret providers reach loopback servers (the egress allowlist). */
export async function allowLoopback(t: TestApp, orgId: string): Promise<void> {
  await t.server.deps.db.systemQuery(
    `UPDATE organization SET settings = settings || jsonb_build_object('egressAllowlist', jsonb_build_array('127.0.0.1/32')) WHERE id = $1`,
    [orgId],
  );
}
