import { inject } from 'vitest';
import request from 'supertest';
import type { SettingName } from '../../src/core/config/settings.js';
import { startServer, type RunningServer } from '../../src/app.factory.js';
import { PlatformKeysService, PlatformService } from '../../src/modules/identity/index.js';

export interface TestOrg {
  id: string;
  slug: string;
  ownerKey: string;
}

export interface TestApp {
  server: RunningServer;
  url: string;
  platformKey: string;
  /** supertest against the listening server. */
  http: () => ReturnType<typeof request>;
  /** Creates an org (with its owner key) through the platform service. */
  createOrg(slug?: string): Promise<TestOrg>;
  close(): Promise<void>;
}

let seq = 0;
export const uniqueSlug = (prefix = 'org'): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

/** Starts the real application on a free loopback port against the run's test database. */
export async function createTestApp(overrides: Partial<Record<SettingName, string>> = {}): Promise<TestApp> {
  const server = await startServer({
    env: { NODE_ENV: 'test' },
    overrides: {
      DATABASE_URL: inject('databaseUrl'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TF_TEST_LOG_LEVEL ?? 'silent',
      ...overrides,
    },
  });
  const platformKey = (await server.app.get(PlatformKeysService).create('test')).key;
  return {
    server,
    url: server.url,
    platformKey,
    http: () => request(server.url),
    async createOrg(slug = uniqueSlug()) {
      const created = await server.app
        .get(PlatformService)
        .createOrg({ name: slug, slug }, { type: 'system', id: null });
      return { id: created.org.id, slug, ownerKey: created.ownerApiKey.key };
    },
    close: () => server.close(),
  };
}

export const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

/**
 * The secret part of a `tf?_<public id>_<secret>` credential: everything after the second underscore (the secret
 * is base64url and may itself contain underscores).
 */
export const credentialSecret = (credential: string): string =>
  credential.slice(credential.indexOf('_', credential.indexOf('_') + 1) + 1);
