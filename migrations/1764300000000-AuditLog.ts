import type { MigrationInterface, QueryRunner } from 'typeorm';
import { protectOrgTable } from '../src/core/database/rls.js';

/**
 * The audit log: append-only entries chained per org by SHA-256, a chain head per org (row-locked by every append,
 * so concurrent writers serialize), immutability triggers, and the one purge function retention may use.
 * The platform chain (events without an org) uses the nil UUID as its org id, which no tenant context ever matches.
 */
export class AuditLog1764300000000 implements MigrationInterface {
  name = 'AuditLog1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_chain (
        org_id uuid PRIMARY KEY,
        seq bigint NOT NULL DEFAULT 0,
        head_hash text NOT NULL,
        last_at timestamptz NOT NULL DEFAULT '-infinity',
        retention_days integer NOT NULL DEFAULT 365,
        CONSTRAINT audit_chain_retention_check CHECK (retention_days BETWEEN 1 AND 36500)
      )`);
    await protectOrgTable(q, 'audit_chain');

    await q.query(`
      CREATE TABLE audit_event (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL,
        seq bigint NOT NULL,
        created_at timestamptz NOT NULL,
        actor_type text NOT NULL,
        actor_id text,
        actor_name text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        outcome text NOT NULL,
        reason text,
        ip text,
        user_agent text,
        request_id text,
        metadata jsonb NOT NULL DEFAULT '{}',
        hash text NOT NULL,
        CONSTRAINT audit_event_outcome_check CHECK (outcome IN ('success', 'failure', 'denied')),
        CONSTRAINT audit_event_actor_type_check CHECK (actor_type IN ('user', 'api_key', 'platform', 'embed', 'system')),
        CONSTRAINT audit_event_chain_seq_key UNIQUE (org_id, seq)
      )`);
    // Lists are newest first by seq; time ranges become seq ranges through the time index (created_at is
    // non-decreasing in seq within a chain), so every filter below is an index range scan.
    await q.query(`CREATE INDEX audit_event_org_time_idx ON audit_event (org_id, created_at, seq)`);
    await q.query(`CREATE INDEX audit_event_org_action_idx ON audit_event (org_id, action, seq)`);
    await q.query(`CREATE INDEX audit_event_org_actor_idx ON audit_event (org_id, actor_id, seq)`);
    await q.query(`CREATE INDEX audit_event_org_resource_type_idx ON audit_event (org_id, resource_type, seq)`);
    // Resource ids are all but unique, so a resource type given with one is a cheap filter on top.
    await q.query(`CREATE INDEX audit_event_org_resource_idx ON audit_event (org_id, resource_id, seq)`);
    await q.query(
      `CREATE INDEX audit_event_org_outcome_idx ON audit_event (org_id, outcome, seq) WHERE outcome <> 'success'`,
    );
    await protectOrgTable(q, 'audit_event');

    await q.query(`
      CREATE FUNCTION audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Only audit_purge (run by the owner, never the runtime role) may delete, and only while it runs.
        IF TG_OP = 'DELETE' AND current_setting('tenantflow.audit_purge', true) = 'on' AND current_user <> 'tenantflow_app' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP USING ERRCODE = '42501';
      END $$`);
    await q.query(`CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_immutable()`);
    await q.query(`CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_immutable()`);

    await q.query(APPEND_FUNCTION);
    await q.query(`REVOKE ALL ON FUNCTION audit_append(text) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION audit_append(text) TO tenantflow_app`);
    await q.query(PURGE_FUNCTION);
    await q.query(`REVOKE ALL ON FUNCTION audit_purge(uuid, bigint, text) FROM PUBLIC`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS audit_purge(uuid, bigint, text)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_append(text)`);
    await q.query(`DROP TABLE IF EXISTS audit_event CASCADE`);
    await q.query(`DROP FUNCTION IF EXISTS audit_event_immutable()`);
    await q.query(`DROP TABLE IF EXISTS audit_chain CASCADE`);
  }
}

/**
 * Appends one entry. The body is the canonical JSON the application built (sorted keys); the columns are read from
 * it, so they cannot disagree with what was hashed. Runs as the caller (row-level security applies). The chain head
 * row lock serializes writers of one org until their transaction ends; seq and time are assigned under it.
 * hash = sha256(prev_hash | seq | created_at (ISO, ms) | body), hex.
 */
const APPEND_FUNCTION = `
CREATE FUNCTION audit_append(p_body text) RETURNS TABLE (out_id uuid, out_seq bigint, out_hash text, out_at timestamptz)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v jsonb := p_body::jsonb;
  o uuid := (v->>'orgId')::uuid;
  prev_seq bigint;
  prev_hash text;
  prev_at timestamptz;
  ts timestamptz;
  n bigint;
  hx text;
BEGIN
  IF o IS NULL OR (v->>'v') IS DISTINCT FROM '1' THEN
    RAISE EXCEPTION 'audit_append: malformed entry body';
  END IF;
  FOR attempt IN 1..2 LOOP
    SELECT c.seq, c.head_hash, c.last_at INTO prev_seq, prev_hash, prev_at
      FROM audit_chain c WHERE c.org_id = o FOR NO KEY UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO audit_chain (org_id, seq, head_hash) VALUES (o, 0, repeat('0', 64)) ON CONFLICT (org_id) DO NOTHING;
  END LOOP;
  IF prev_hash IS NULL THEN
    RAISE EXCEPTION 'audit_append: no chain head for %', o;
  END IF;
  ts := GREATEST(date_trunc('milliseconds', clock_timestamp()), prev_at);
  n := prev_seq + 1;
  hx := encode(sha256(convert_to(prev_hash || '|' || n::text || '|'
          || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' || p_body, 'UTF8')), 'hex');
  INSERT INTO audit_event (id, org_id, seq, created_at, actor_type, actor_id, actor_name, action, resource_type,
                           resource_id, outcome, reason, ip, user_agent, request_id, metadata, hash)
  VALUES ((v->>'id')::uuid, o, n, ts, v->'actor'->>'type', v->'actor'->>'id', v->'actor'->>'name', v->>'action',
          v->'resource'->>'type', v->'resource'->>'id', v->>'outcome', v->>'reason', v->>'ip', v->>'userAgent',
          v->>'requestId', v->'metadata', hx);
  UPDATE audit_chain c SET seq = n, head_hash = hx, last_at = ts WHERE c.org_id = o;
  RETURN QUERY SELECT (v->>'id')::uuid, n, hx, ts;
END $$`;

/**
 * The only way entries leave the table: deletes a chain's entries up to p_through_seq and appends the checkpoint
 * entry p_body, which must name that seq and the hash of the last deleted entry, so verification can anchor the
 * oldest remaining entry. Owner only (EXECUTE revoked from everyone else).
 */
const PURGE_FUNCTION = `
CREATE FUNCTION audit_purge(p_org uuid, p_through_seq bigint, p_body text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  v jsonb := p_body::jsonb;
  last_hash text;
  n bigint;
BEGIN
  PERFORM 1 FROM audit_chain c WHERE c.org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_purge: no chain for %', p_org;
  END IF;
  SELECT e.hash INTO last_hash FROM audit_event e WHERE e.org_id = p_org AND e.seq = p_through_seq;
  IF last_hash IS NULL THEN
    RAISE EXCEPTION 'audit_purge: no entry % in chain %', p_through_seq, p_org;
  END IF;
  IF (v->>'orgId')::uuid IS DISTINCT FROM p_org OR v->>'action' IS DISTINCT FROM 'audit.purged'
     OR (v->'metadata'->>'throughSeq')::bigint IS DISTINCT FROM p_through_seq
     OR v->'metadata'->>'continuesFromHash' IS DISTINCT FROM last_hash THEN
    RAISE EXCEPTION 'audit_purge: the checkpoint must name the last purged entry and its hash';
  END IF;
  PERFORM set_config('tenantflow.audit_purge', 'on', true);
  DELETE FROM audit_event e WHERE e.org_id = p_org AND e.seq <= p_through_seq;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('tenantflow.audit_purge', 'off', true);
  PERFORM audit_append(p_body);
  RETURN n;
END $$`;
