import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { pino } from 'pino';
import { AppConfig } from '../../src/core/config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/core/database/embedded-postgres.js';
import { openDatabase } from '../../src/app.factory.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One fresh database per test run: on the server named by DATABASE_URL when set, otherwise on an embedded
 * PostgreSQL in a temporary directory. Migrations run once here; test apps start against the migrated database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = pino({ level: 'silent' });
  let embedded: EmbeddedDatabase | undefined;
  let tmp: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    tmp = mkdtempSync(join(tmpdir(), 'tenantflow-test-'));
    chmodSync(tmp, 0o711); // as root, PostgreSQL runs as 'postgres' and must traverse into it
    embedded = await startEmbeddedPostgres(tmp, log);
    serverUrl = embedded.url;
  }
  const name = `tf_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();

  const config = AppConfig.fromEnv({ NODE_ENV: 'test' }, { DATABASE_URL: databaseUrl });
  const { db } = await openDatabase(config, log);
  await db.close();
  project.provide('databaseUrl', databaseUrl);

  return async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await c.end();
    await embedded?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
}
