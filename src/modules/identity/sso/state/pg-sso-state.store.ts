import { type Database } from '../../../../core/database/database.js';
import { SsoStateStore, type OidcFlow, type SamlRequestRecord } from './sso-state.store.js';

type Row = Record<string, unknown>;

/** TypeORM answers UPDATE/DELETE … RETURNING as [rows, affected] and SELECT/INSERT as rows. */
function rowsOf(result: unknown): Row[] {
  const r = result as unknown[];
  return Array.isArray(r[0]) && typeof r[1] === 'number' ? (r[0] as Row[]) : (r as Row[]);
}

const samlRecord = (r: Row): SamlRequestRecord => ({
  createdAt: r.created_at as Date,
  returnTo: r.return_to as string,
  bindingHash: (r.binding_hash as Buffer | null) ?? null,
});

/** The state store on PostgreSQL (shared by every instance already); rows are org-scoped under RLS. */
export class PgSsoStateStore extends SsoStateStore {
  constructor(private readonly db: Database) {
    super();
  }

  async saveSamlRequest(
    orgId: string,
    requestId: string,
    request: { returnTo: string; bindingHash: Buffer },
    ttlMs: number,
  ): Promise<void> {
    await this.db.withOrg(orgId, async (em) => {
      await em.query(`DELETE FROM sso_saml_request WHERE org_id = $1 AND expires_at < now()`, [orgId]);
      await em.query(
        `INSERT INTO sso_saml_request (org_id, request_id, return_to, binding_hash, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
        [orgId, requestId, request.returnTo, request.bindingHash, ttlMs / 1000],
      );
    });
  }

  async getSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null> {
    const rows: Row[] = await this.db.withOrg(orgId, (em) =>
      em.query(
        `SELECT created_at, return_to, binding_hash FROM sso_saml_request WHERE org_id = $1 AND request_id = $2 AND expires_at > now()`,
        [orgId, requestId],
      ),
    );
    return rows[0] ? samlRecord(rows[0]) : null;
  }

  async takeSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null> {
    const rows = rowsOf(
      await this.db.withOrg(orgId, (em) =>
        em.query(
          `DELETE FROM sso_saml_request WHERE org_id = $1 AND request_id = $2 RETURNING created_at, return_to, binding_hash, expires_at > now() AS live`,
          [orgId, requestId],
        ),
      ),
    );
    const row = rows[0];
    return row?.live ? samlRecord(row) : null;
  }

  async assertionSeen(orgId: string, assertionId: string): Promise<boolean> {
    const rows: Row[] = await this.db.withOrg(orgId, (em) =>
      em.query(`SELECT 1 FROM sso_saml_assertion WHERE org_id = $1 AND assertion_id = $2`, [orgId, assertionId]),
    );
    return rows.length > 0;
  }

  async markAssertionSeen(orgId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    return this.db.withOrg(orgId, async (em) => {
      await em.query(`DELETE FROM sso_saml_assertion WHERE org_id = $1 AND expires_at < now()`, [orgId]);
      const rows = rowsOf(
        await em.query(
          `INSERT INTO sso_saml_assertion (org_id, assertion_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (org_id, assertion_id) DO NOTHING RETURNING 1`,
          [orgId, assertionId, expiresAt],
        ),
      );
      return rows.length === 1;
    });
  }

  async saveOidcFlow(orgId: string, flow: OidcFlow, ttlMs: number): Promise<void> {
    await this.db.withOrg(orgId, async (em) => {
      await em.query(`DELETE FROM sso_oidc_flow WHERE org_id = $1 AND expires_at < now()`, [orgId]);
      await em.query(
        `INSERT INTO sso_oidc_flow (org_id, state, binding_hash, nonce, code_verifier, return_to, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
        [orgId, flow.state, flow.bindingHash, flow.nonce, flow.codeVerifier, flow.returnTo, ttlMs / 1000],
      );
    });
  }

  async takeOidcFlow(orgId: string, state: string): Promise<OidcFlow | null> {
    const rows = rowsOf(
      await this.db.withOrg(orgId, (em) =>
        em.query(
          `DELETE FROM sso_oidc_flow WHERE org_id = $1 AND state = $2
           RETURNING binding_hash, nonce, code_verifier, return_to, expires_at > now() AS live`,
          [orgId, state],
        ),
      ),
    );
    const r = rows[0];
    if (!r?.live) return null;
    return {
      state,
      bindingHash: r.binding_hash as Buffer,
      nonce: r.nonce as string,
      codeVerifier: r.code_verifier as string,
      returnTo: r.return_to as string,
    };
  }
}
