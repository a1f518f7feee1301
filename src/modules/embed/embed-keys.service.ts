import { Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { UUID_RE, uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { DomainEventBus } from '../../core/events/domain-events.js';
import type { CreateEmbedKeyDto, EmbedKeyListDto, EmbedKeyResponseDto } from './dto/embed.dto.js';
import { publicJwkOf, type EmbedAlg } from './embed-key-material.js';
import { EmbedException } from './embed.exception.js';

interface KeyRow {
  id: string;
  kid: string;
  alg: EmbedAlg;
  public_jwk: JWK;
  created_at: Date;
}

const MAX_KEYS = 20;
const map = (r: KeyRow): EmbedKeyResponseDto => ({
  id: r.id,
  kid: r.kid,
  alg: r.alg,
  publicKey: r.public_jwk as Record<string, unknown>,
  createdAt: r.created_at.toISOString(),
});

/**
 * An org's embed signing keys (public keys only). Several may be active at once for rotation; a removed key is
 * gone for every instance at once, since token exchange reads keys from the database every time.
 */
@Injectable()
export class EmbedKeysService {
  constructor(
    private readonly db: Database,
    private readonly events: DomainEventBus,
  ) {}

  async list(orgId: string): Promise<EmbedKeyListDto> {
    const rows = await this.db.readOrg<KeyRow>(
      orgId,
      `SELECT id, kid, alg, public_jwk, created_at FROM embed_key WHERE org_id = $1 ORDER BY created_at`,
      [orgId],
    );
    return { items: rows.map(map), nextCursor: null };
  }

  async create(orgId: string, dto: CreateEmbedKeyDto): Promise<EmbedKeyResponseDto> {
    const material = await publicJwkOf(dto.alg, dto.publicKey);
    if ('problem' in material)
      throw new EmbedException('embed_key_invalid', `publicKey ${material.problem}`, {
        errors: [{ path: 'publicKey', message: material.problem }],
      });
    return this.db.withOrg(orgId, async (em) => {
      const [{ n }] = (await em.query(`SELECT count(*)::int AS n FROM embed_key WHERE org_id = $1`, [orgId])) as {
        n: number;
      }[];
      if (n >= MAX_KEYS)
        throw new EmbedException('embed_key_invalid', `An organization may register at most ${MAX_KEYS} embed keys`);
      const rows = (await em.query(
        `INSERT INTO embed_key (id, org_id, kid, alg, public_jwk) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, kid) DO NOTHING
         RETURNING id, kid, alg, public_jwk, created_at`,
        [uuidv7(), orgId, dto.kid, dto.alg, JSON.stringify(material.jwk)],
      )) as KeyRow[];
      if (!rows.length) throw new EmbedException('embed_kid_taken', 'A key with this kid is already registered');
      await this.events.publish(em, {
        action: 'embed_key.created',
        orgId,
        resourceType: 'embed_key',
        resourceId: rows[0].id,
        metadata: { kid: dto.kid, alg: dto.alg },
      });
      return map(rows[0]);
    });
  }

  async remove(orgId: string, id: string): Promise<void> {
    if (!UUID_RE.test(id)) throw new EmbedException('embed_key_not_found', 'Embed key not found');
    await this.db.withOrg(orgId, async (em) => {
      const rows = (await em.query(`DELETE FROM embed_key WHERE org_id = $1 AND id = $2 RETURNING kid, alg`, [
        orgId,
        id,
      ])) as [{ kid: string; alg: string }[], number];
      const row = rows[0][0];
      if (!row) throw new EmbedException('embed_key_not_found', 'Embed key not found');
      await this.events.publish(em, {
        action: 'embed_key.deleted',
        orgId,
        resourceType: 'embed_key',
        resourceId: id,
        metadata: { kid: row.kid, alg: row.alg },
      });
    });
  }

  /** The org's key with this kid, for token verification (read every time: removal takes effect at once). */
  async byKid(orgId: string, kid: string): Promise<{ alg: EmbedAlg; jwk: JWK } | null> {
    const [row] = await this.db.readOrg<KeyRow>(
      orgId,
      `SELECT alg, public_jwk FROM embed_key WHERE org_id = $1 AND kid = $2`,
      [orgId, kid],
    );
    return row ? { alg: row.alg, jwk: row.public_jwk } : null;
  }

  async allowedOrigins(orgId: string): Promise<string[]> {
    const [row] = await this.db.readOrg<{ allowed_origins: string[] }>(
      orgId,
      `SELECT allowed_origins FROM embed_settings WHERE org_id = $1`,
      [orgId],
    );
    return row?.allowed_origins ?? [];
  }

  async setAllowedOrigins(orgId: string, origins: string[]): Promise<string[]> {
    const unique = [...new Set(origins.map((o) => o.toLowerCase()))];
    await this.db.withOrg(orgId, async (em) => {
      const [before] = (await em.query(`SELECT allowed_origins FROM embed_settings WHERE org_id = $1`, [orgId])) as {
        allowed_origins: string[];
      }[];
      await em.query(
        `INSERT INTO embed_settings (org_id, allowed_origins, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (org_id) DO UPDATE SET allowed_origins = EXCLUDED.allowed_origins, updated_at = now()`,
        [orgId, unique],
      );
      await this.events.publish(em, {
        action: 'embed_settings.updated',
        orgId,
        resourceType: 'embed_settings',
        resourceId: orgId,
        metadata: { before: before?.allowed_origins ?? [], after: unique },
      });
    });
    return unique;
  }
}
