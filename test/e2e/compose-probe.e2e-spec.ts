import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/core/config/app-config.js';
import { assertEncryptionKeyConfigured, keyRingFromConfig } from '../../src/core/crypto/master-keys.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/core/database/embedded-postgres.js';
import { startChildServer, type ChildServer } from '../utils/child-server.js';
import { bearer, createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/**
 * Issue 18's compose setup, proved without Docker (no daemon on the machines that run the tests): the top-level
 * docker-compose.yml declares what docs/scale-out.md says and every app container's environment is accepted by the
 * server's own configuration check; and scripts/compose-probe.mjs, the command that checks a running compose
 * stack, passes against a real `api` and a real `worker` process and fails when it should.
 */

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string | string[] };
  stop_grace_period?: string;
  volumes?: string[];
}

const composeText = readFileSync('docker-compose.yml', 'utf8');
// Compose reads YAML merge keys (`<<: *anchor`); YAML 1.2's core schema needs them named.
const compose = load(composeText, { schema: CORE_SCHEMA.withTags(mergeTag) }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const APP_SERVICES = { 'api-1': 'api', 'api-2': 'api', 'worker-1': 'worker', 'worker-2': 'worker' } as const;

/** Compose's `${VAR:?message}` and `${VAR:-default}` with the values an operator's .env would give. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    if (env[name]) return env[name];
    if (op === '-') return arg ?? '';
    throw new Error(`${name} is required by docker-compose.yml but not set`);
  });
}

const seconds = (duration: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!m) throw new Error(`unreadable duration ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
};

/** Runs the probe script with the project's Node; resolves with its exit code and output. */
function probe(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/compose-probe.mjs', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('docker-compose.yml', () => {
  it('declares PostgreSQL and Redis with health checks, two api and two worker processes built from the Dockerfile', () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual(['api-1', 'api-2', 'postgres', 'redis', 'worker-1', 'worker-2']);
    expect(services.postgres.image).toMatch(/^postgres:/);
    expect(JSON.stringify(services.postgres.healthcheck?.test)).toContain('pg_isready');
    const dataVolume = services.postgres.volumes?.[0].split(':')[0];
    expect(compose.volumes).toHaveProperty(dataVolume!);
    expect(services.redis.image).toMatch(/^redis:/);
    expect(JSON.stringify(services.redis.healthcheck?.test)).toContain('redis-cli');
    for (const [name, mode] of Object.entries(APP_SERVICES)) {
      const s = services[name];
      expect(s.build, name).toBe('.');
      expect(s.environment?.TENANTFLOW_MODE, name).toBe(mode);
      expect(JSON.stringify(s.healthcheck?.test), name).toContain('/health/ready');
      // Every dependency must be healthy first, not merely started.
      expect(Object.values(s.depends_on ?? {}).length, name).toBeGreaterThan(0);
      for (const dep of Object.values(s.depends_on ?? {})) expect(dep.condition, name).toBe('service_healthy');
    }
    // One process initialises the database and prints the first-start keys: the others wait for api-1.
    expect(Object.keys(services['api-1'].depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
    for (const name of ['api-2', 'worker-1', 'worker-2']) expect(services[name].depends_on).toHaveProperty('api-1');
  });

  it('takes every secret from the environment (.env), and commits no key', () => {
    for (const name of Object.keys(APP_SERVICES)) {
      const env = compose.services[name].environment!;
      expect(env.TENANTFLOW_ENCRYPTION_KEY).toMatch(/^\$\{TENANTFLOW_ENCRYPTION_KEY:\?[^}]+\}$/);
      expect(env.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
      expect(env.TENANTFLOW_DATABASE_APP_URL).toContain('${TENANTFLOW_APP_DB_PASSWORD:?');
    }
    expect(composeText).not.toMatch(/[A-Za-z0-9+/]{43}=/); // no base64 32-byte key
    expect(readFileSync('config/compose.env.example', 'utf8')).toMatch(/^TENANTFLOW_ENCRYPTION_KEY=$/m);
    expect(readFileSync('.gitignore', 'utf8')).toMatch(/^\.env$/m);
  });

  it("gives each app container an environment the server's configuration accepts, as the Dockerfile runs it", () => {
    const dotEnv = {
      TENANTFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
      TENANTFLOW_APP_DB_PASSWORD: randomBytes(24).toString('hex'),
    };
    const dockerfileEnv = { NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', TENANTFLOW_DATA_DIR: '/x' };
    for (const [name, mode] of Object.entries(APP_SERVICES)) {
      const s = compose.services[name];
      const env = Object.fromEntries(
        Object.entries(s.environment!).map(([k, v]) => [k, interpolate(String(v), dotEnv)]),
      );
      // An unknown TENANTFLOW_* variable, a bad value or a missing REDIS_URL would stop the container's start.
      const config = AppConfig.fromEnv({ ...dockerfileEnv, ...env });
      assertEncryptionKeyConfigured(config);
      expect(keyRingFromConfig(undefined, config.optional('TENANTFLOW_ENCRYPTION_KEY'))).not.toBeNull();
      expect(config.get('TENANTFLOW_MODE')).toBe(mode);
      expect(config.optional('REDIS_URL')).toBe('redis://redis:6379');
      expect(config.optional('DATABASE_URL')).toContain('@postgres:5432/');
      expect(config.get('TENANTFLOW_TRUST_PROXY')).toBe('false');
      // SIGTERM lets requests, then runs, finish within the shutdown timeout: Docker must not SIGKILL before.
      expect(seconds(s.stop_grace_period!)).toBeGreaterThan(config.get('TENANTFLOW_SHUTDOWN_TIMEOUT') / 1000 + 5);
    }
    // The same key, database and Redis everywhere.
    const shared = (k: string) => new Set(Object.keys(APP_SERVICES).map((n) => compose.services[n].environment![k]));
    for (const k of ['TENANTFLOW_ENCRYPTION_KEY', 'DATABASE_URL', 'REDIS_URL']) expect(shared(k).size).toBe(1);
  });

  it("publishes the ports the probe's defaults name", async () => {
    const { code, out } = await probe({}, ['--help']);
    expect(code).toBe(0);
    for (const name of Object.keys(APP_SERVICES)) {
      const [host, port] = compose.services[name].ports![0].split(':');
      expect(host).toBe('127.0.0.1');
      expect(out).toContain(`http://127.0.0.1:${port}`);
    }
  });
});

describe("the compose database's tenant login (config/compose/postgres-app-role.sh)", () => {
  let dir: string;
  let db: EmbeddedDatabase;
  let t: TestApp | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tf-compose-pg-'));
    chmodSync(dir, 0o711); // as root, PostgreSQL runs as 'postgres' and must traverse into it
    db = await startEmbeddedPostgres(dir, pino({ level: 'silent' }));
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('made before the first migration, it carries every tenant query under row-level security', async () => {
    // The script's SQL, run as the postgres image runs it on an empty volume: before any Tenantflow process.
    const script = readFileSync('config/compose/postgres-app-role.sh', 'utf8');
    const sql = /<<'SQL'\n([\s\S]*?)\nSQL\n/.exec(script)?.[1];
    expect(sql).toContain(":'app_password'");
    const password = randomBytes(24).toString('hex');
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    try {
      await owner.query(sql!.replace(":'app_password'", `'${password}'`));
    } finally {
      await owner.end();
    }
    const appUrl = new URL(db.url);
    appUrl.username = 'tenantflow_app';
    appUrl.password = password;
    // The first start migrates as the owner (the migration finds the role) and logs tenant queries in with it.
    t = await createTestApp({ DATABASE_URL: db.url, TENANTFLOW_DATABASE_APP_URL: appUrl.href });
    const [who] = (await t.server.deps.db.app.query('SELECT session_user AS login, current_user AS role')) as {
      login: string;
      role: string;
    }[];
    expect(who).toEqual({ login: 'tenantflow_app', role: 'tenantflow_app' });
    const org = await t.createOrg();
    await t.http().post('/api/v1/projects').set(bearer(org.ownerKey)).send({ name: 'p' }).expect(201);
    expect((await t.http().get('/health/ready')).status).toBe(200);
  }, 120_000);
});

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) console.warn('SKIP compose probe against api and worker processes: REDIS_URL is not set');

describe.skipIf(!redisUrl)('scripts/compose-probe.mjs against an api and a worker process', () => {
  let t: TestApp;
  let org: TestOrg;
  let api: ChildServer;
  let worker: ChildServer;

  beforeAll(async () => {
    // The test's own server (mode `all`) only hands out an org and its owner key, as a first start would print.
    t = await createTestApp({ REDIS_URL: redisUrl });
    org = await t.createOrg();
    // A queue of their own (key prefix): no other test file's worker takes these runs.
    const prefix = { TENANTFLOW_REDIS_KEY_PREFIX: `cp${process.pid}${Date.now().toString(36)}:` };
    api = await startChildServer({ timeoutMs: 90_000, redisUrl, settings: { ...prefix, TENANTFLOW_MODE: 'api' } });
    worker = await startChildServer({
      timeoutMs: 90_000,
      redisUrl,
      settings: { ...prefix, TENANTFLOW_MODE: 'worker' },
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled([api?.stop(), worker?.stop()]);
    await t?.close();
  }, 60_000);

  it('passes: both ready, the worker refuses the API, webhooks answered through the api and runs succeeded', async () => {
    const { code, out } = await probe({
      PROBE_API_URLS: api.url,
      PROBE_WORKER_URLS: worker.url,
      PROBE_RUNS: '3',
      TENANTFLOW_OWNER_KEY: org.ownerKey,
    });
    expect(out).not.toContain('FAIL');
    expect(code, out).toBe(0);
    const lines = out.trim().split('\n');
    expect(
      lines.slice(0, -1).every((l) => l.startsWith('ok   ')),
      out,
    ).toBe(true);
    expect(out).toContain(`ok   worker ${worker.url} refuses /api/v1/org (404)`);
    expect(out).toContain(`ok   api ${api.url}: 3 waiting webhooks answered 200 with their own run's output`);
    expect(out).toContain(`ok   api ${api.url}: 3 not-waiting webhooks answered 202 {runId}`);
    expect(out).toContain('ok   all 6 runs ended succeeded');
    expect(out).toContain('ok   the probe project is deleted');
    expect(lines.at(-1)).toMatch(/^probe: all \d+ checks passed$/);
  }, 180_000);

  it('without an owner key checks the processes and says the webhook checks were skipped', async () => {
    const { code, out } = await probe({ PROBE_API_URLS: api.url, PROBE_WORKER_URLS: worker.url });
    expect(code, out).toBe(0);
    expect(out).toContain('skip webhook runs: set TENANTFLOW_OWNER_KEY');
  }, 60_000);

  it('fails (exit 1, one FAIL line) when a worker stands where an api process should, or a process never answers', async () => {
    const swapped = await probe({ PROBE_API_URLS: worker.url, PROBE_WORKER_URLS: worker.url });
    expect(swapped.code, swapped.out).toBe(1);
    expect(swapped.out).toContain(`FAIL api ${worker.url} serves /api/v1/org (401 without a key): answered 404`);

    const absent = await probe({
      PROBE_API_URLS: api.url,
      PROBE_WORKER_URLS: 'http://127.0.0.1:9',
      PROBE_READY_TIMEOUT: '1500',
    });
    expect(absent.code, absent.out).toBe(1);
    expect(absent.out).toContain('FAIL worker http://127.0.0.1:9 is ready: /health/ready answered no answer');
    expect(absent.out).toMatch(/^probe: 1 of 2 checks failed$/m);
  }, 60_000);
});
