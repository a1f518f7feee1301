import { Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database.js';
import { RedisHolder } from '../../core/redis/redis.js';

/**
 * Embed token ids seen, until their expiry: in Redis when `REDIS_URL` is set (`SET NX PX`, shared by every
 * instance, like the other replay caches), otherwise in PostgreSQL (`embed_jti`, shared the same way). Any error
 * refuses the token (fail closed).
 */
@Injectable()
export class JtiStore {
  constructor(
    private readonly db: Database,
    private readonly redis: RedisHolder,
  ) {}

  /** True the first time this org sees `jti`; false for a replay (or when the store cannot answer). */
  async firstUse(orgId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const ttlMs = Math.max(1000, expiresAt.getTime() - Date.now() + 60_000);
    try {
      if (this.redis.client)
        return (await this.redis.client.set(`tf:embed-jti:${orgId}:${jti}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
      return await this.db.withOrg(orgId, async (em) => {
        await em.query(`DELETE FROM embed_jti WHERE org_id = $1 AND expires_at < now() - interval '1 minute'`, [orgId]);
        const rows = (await em.query(
          `INSERT INTO embed_jti (org_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti`,
          [orgId, jti, new Date(Date.now() + ttlMs)],
        )) as unknown[];
        return rows.length === 1;
      });
    } catch {
      return false;
    }
  }
}
