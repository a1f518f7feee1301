import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { jsonChannel, textChannel, type ClusterBus } from '../../src/core/cluster/cluster-bus.js';
import { PgClusterBus } from '../../src/core/cluster/pg-cluster-bus.js';
import { RedisClusterBus } from '../../src/core/cluster/redis-cluster-bus.js';
import { createClusterBus } from '../../src/core/cluster/create-cluster-bus.js';
import { uuidv7 } from '../../src/core/crypto/tokens.js';
import { Database } from '../../src/core/database/database.js';
import { RedisHolder } from '../../src/core/redis/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const log = pino({ level: 'silent' });
const suffix = Math.random().toString(36).slice(2, 8);
const ids = textChannel(`tf_test_ids_${suffix}`, (s) => /^[0-9a-f-]{36}$/.test(s));
const events = jsonChannel<{ runId: string; n: number }>(
  `tf_test_events_${suffix}`,
  (v): v is { runId: string; n: number } =>
    typeof (v as { runId?: unknown }).runId === 'string' && typeof (v as { n?: unknown }).n === 'number',
);

/** Collects what a bus delivers on a channel. */
function collect<T>(bus: ClusterBus, channel: Parameters<ClusterBus['subscribe']>[0] & { name: string }): T[] {
  const got: T[] = [];
  bus.subscribe(channel as never, (m: T) => got.push(m));
  return got;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const settle = () => new Promise((r) => setTimeout(r, 300));

/**
 * The cluster bus between two "processes" (two buses with their own connections) on the real PostgreSQL and the
 * real Redis: every subscriber receives, transactional messages arrive only after commit and never on rollback,
 * and payloads that are not the channel's type are dropped.
 */
describe.each([
  ['PostgreSQL LISTEN/NOTIFY', false],
  ['Redis pub/sub', true],
] as const)('cluster bus on %s', (_name, useRedis) => {
  let db: Database;
  let redisA: RedisHolder;
  let redisB: RedisHolder;
  let a: ClusterBus;
  let b: ClusterBus;

  beforeAll(async () => {
    db = new Database({ url: inject('databaseUrl'), entities: [], migrations: [], poolSize: 4 });
    await db.connectSystem();
    await db.connectApp();
    redisA = new RedisHolder(useRedis ? REDIS_URL : undefined);
    redisB = new RedisHolder(useRedis ? REDIS_URL : undefined);
    a = createClusterBus(db, redisA, log);
    b = createClusterBus(db, redisB, log);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redisA?.close();
    await redisB?.close();
    await db?.close();
  });

  it('is the implementation REDIS_URL selects', () => {
    expect(a).toBeInstanceOf(useRedis ? RedisClusterBus : PgClusterBus);
  });

  it('delivers a message to every subscribed process, the sender included, with its type', async () => {
    const onA = collect<string>(a, ids);
    const onB = collect<string>(b, ids);
    const evB = collect<{ runId: string; n: number }>(b, events);
    await a.start();
    await b.start();
    const id = uuidv7();
    await a.publish(ids, id);
    await b.publish(events, { runId: id, n: 7 });
    await until(() => onA.length > 0 && onB.length > 0 && evB.length > 0);
    expect(onA).toEqual([id]);
    expect(onB).toEqual([id]);
    expect(evB).toEqual([{ runId: id, n: 7 }]);
  });

  it('subscribes late (after start) and drops payloads that are not the channel type', async () => {
    const late = textChannel(`tf_test_late_${suffix}`, (s) => s.startsWith('ok:'));
    const got = collect<string>(b, late);
    await settle();
    await a.publish(late, 'nope');
    await a.publish(late, 'ok:1');
    await until(() => got.length > 0);
    await settle();
    expect(got).toEqual(['ok:1']);
  });

  it('sends a transactional message on commit, never on rollback', async () => {
    const tx = textChannel(`tf_test_tx_${suffix}`);
    const got = collect<string>(b, tx);
    const here = collect<string>(a, tx);
    await settle();
    let seenBeforeCommit = -1;
    await db.withSystem(async (em) => {
      await a.publishOnCommit(em, tx, 'committed-system');
      await settle();
      seenBeforeCommit = got.length + here.length;
    });
    // The sender's own handlers ran at commit, before withSystem returned (no round trip). The same message also
    // comes back over the wire (handlers are idempotent), and on a busy machine it may already have: so only the
    // first delivery is asserted here, and that nothing else arrived.
    expect(here.length).toBeGreaterThanOrEqual(1);
    expect(new Set(here)).toEqual(new Set(['committed-system']));
    await db.withOrg(uuidv7(), (em) => a.publishOnCommit(em, tx, 'committed-org'));
    await db
      .withSystem(async (em) => {
        await a.publishOnCommit(em, tx, 'rolled-back');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await until(() => got.length >= 2);
    await settle();
    expect(seenBeforeCommit).toBe(0);
    expect(got).toEqual(['committed-system', 'committed-org']);
  });
});
