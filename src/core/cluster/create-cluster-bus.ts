import type { Logger } from 'pino';
import type { Database } from '../database/database.js';
import type { RedisHolder } from '../redis/redis.js';
import type { ClusterBus } from './cluster-bus.js';
import { PgClusterBus } from './pg-cluster-bus.js';
import { RedisClusterBus } from './redis-cluster-bus.js';

/** Redis pub/sub when the deployment has a Redis (`REDIS_URL`), else PostgreSQL LISTEN/NOTIFY. */
export function createClusterBus(db: Database, redis: RedisHolder, log: Logger): ClusterBus {
  return redis.client ? new RedisClusterBus(redis.client, db, log) : new PgClusterBus(db, log);
}
