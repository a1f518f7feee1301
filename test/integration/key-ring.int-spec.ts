import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../src/core/config/app-config.js';
import { KeyRing, envelopeKeyId, type CipherRef } from '../../src/core/crypto/key-ring.js';
import { rotateKeys } from '../../src/core/crypto/key-rotation.js';
import { SecretBox } from '../../src/core/crypto/secret-box.js';
import { createTestApp, type TestApp, type TestOrg } from '../utils/test-app.js';

/** Must show 3 (crypto): moved ciphertexts and flipped bytes fail; rotation re-encrypts every row; reads go on meanwhile. */
const key = (n: number): string => Buffer.alloc(32, n).toString('base64');

describe('the key ring', () => {
  let t: TestApp;
  let a: TestOrg;
  let b: TestOrg;
  const ring = (keys: string) =>
    new KeyRing(
      t.server.deps.db,
      new SecretBox(AppConfig.fromEnv({}, { TENANTFLOW_ENCRYPTION_KEYS: keys }), pino({ level: 'silent' })),
    );
  const ref = (orgId: string, over: Partial<CipherRef> = {}): CipherRef => ({
    orgId,
    table: 'sso_config',
    rowId: randomUUID(),
    field: 'client_secret',
    ...over,
  });

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createOrg();
    b = await t.createOrg();
  });
  afterAll(() => t?.close());

  it('round-trips, and a ciphertext moved to another row, field, table or org does not open', async () => {
    const r = ring(`k1:${key(1)}`);
    const at = ref(a.id);
    const sealed = await r.seal(at, 'hunter2');
    expect(sealed).toMatch(/^v2:[0-9a-f-]{36}:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(sealed).not.toContain('hunter2');
    expect(await r.open(at, sealed)).toBe('hunter2');
    expect(await r.seal(at, 'hunter2')).not.toBe(sealed); // fresh IV
    await expect(r.open({ ...at, rowId: randomUUID() }, sealed)).rejects.toThrow(/authenticate/);
    await expect(r.open({ ...at, field: 'password' }, sealed)).rejects.toThrow(/authenticate/);
    await expect(r.open({ ...at, table: 'connection' }, sealed)).rejects.toThrow(/authenticate/);
    // Another org: its data key is not even visible (row-level security), whatever the envelope names.
    await expect(r.open({ ...at, orgId: b.id }, sealed)).rejects.toThrow(/does not exist/);
  });

  it('any flipped byte of the envelope fails', async () => {
    const r = ring(`k1:${key(1)}`);
    const at = ref(a.id);
    const sealed = await r.seal(at, 'a value worth protecting');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sealed.length; i++) {
      const c = sealed[i];
      const other =
        c === ':'
          ? '_'
          : /[0-9a-f]/.test(c) && i < 40
            ? c === '0'
              ? '1'
              : '0'
            : alphabet[(alphabet.indexOf(c) + 1) % alphabet.length];
      await expect(r.open(at, sealed.slice(0, i) + other + sealed.slice(i + 1)), `position ${i}`).rejects.toThrow();
    }
  });

  it("deleting an org's data keys makes its ciphertexts unreadable (crypto-shredding)", async () => {
    const org = await t.createOrg();
    const r = ring(`k1:${key(1)}`);
    const at = ref(org.id);
    const sealed = await r.seal(at, 'shred me');
    await t.server.deps.db.systemQuery(`DELETE FROM org_data_key WHERE org_id = $1`, [org.id]);
    await expect(r.open(at, sealed)).rejects.toThrow(/does not exist/);
  });

  it('rotation to a new master key re-encrypts every row, all still decrypt, and reads during rotation succeed', async () => {
    const org = await t.createOrg();
    const db = t.server.deps.db;
    const old = ring(`k1:${key(1)}`);
    const legacyBox = new SecretBox(
      AppConfig.fromEnv({}, { TENANTFLOW_ENCRYPTION_KEYS: `k1:${key(1)}` }),
      pino({ level: 'silent' }),
    );
    // One SSO row sealed the pre-key-ring way (master key, context), the others under the org's data key.
    const rows: { id: string; plain: string }[] = [];
    const insert = async (id: string, value: string) =>
      db.systemQuery(
        `INSERT INTO sso_config (id, org_id, protocol, enabled, settings, secret_ciphertext) VALUES ($1, $2, 'oidc', false, '{}', $3)`,
        [id, org.id, value],
      );
    const legacyId = randomUUID();
    await insert(legacyId, legacyBox.seal('legacy-secret', `sso:oidc:client_secret:${org.id}`));
    rows.push({ id: legacyId, plain: 'legacy-secret' });
    // sso_config allows one row per protocol: further rows go to a scratch copy of the column in `connection`.
    const project = (
      await t
        .http()
        .post('/api/v1/projects')
        .set({ Authorization: `Bearer ${org.ownerKey}` })
        .send({ name: 'rot' })
        .expect(201)
    ).body.id;
    for (let i = 0; i < 25; i++) {
      const id = randomUUID();
      const sealed = await old.seal(
        { orgId: org.id, table: 'connection', rowId: id, field: 'secret_data' },
        `secret-${i}`,
      );
      await db.systemQuery(
        `INSERT INTO connection (id, org_id, project_id, name, type, settings, secret_data, created_by_type) VALUES ($1, $2, $3, $4, 'bearer', '{}', $5, 'system')`,
        [id, org.id, project, `c${i}`, sealed],
      );
      rows.push({ id, plain: `secret-${i}` });
    }
    const refOf = (id: string) =>
      id === legacyId
        ? { orgId: org.id, table: 'sso_config', rowId: id, field: 'client_secret' }
        : { orgId: org.id, table: 'connection', rowId: id, field: 'secret_data' };
    const read = async (r: KeyRing) => {
      const out: string[] = [];
      for (const row of rows) {
        const table = row.id === legacyId ? 'sso_config' : 'connection';
        const col = row.id === legacyId ? 'secret_ciphertext' : 'secret_data';
        const [{ v }] = await db.systemQuery<{ v: string }>(`SELECT ${col} AS v FROM ${table} WHERE id = $1`, [row.id]);
        out.push(await r.open(refOf(row.id), v, `sso:oidc:client_secret:${org.id}`));
      }
      return out;
    };
    const next = ring(`k2:${key(2)},k1:${key(1)}`);
    // Readers keep reading while the rotation runs (small batches, so it interleaves with them).
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        expect(await read(next)).toEqual(rows.map((r) => r.plain));
        reads += 1;
      }
    })();
    // The retired data key is kept for a grace period: a reader may hold a ciphertext read just before its row moved.
    const report = await rotateKeys(db, next, { orgIds: [org.id], batchSize: 4 });
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(report.failed).toEqual([]);
    expect(report.rotated).toBe(rows.length);
    expect(report.purgedKeys).toBe(0);
    // Every row is now under one new data key wrapped by k2, so k1 can go.
    const onlyNew = ring(`k2:${key(2)}`);
    expect(await read(onlyNew)).toEqual(rows.map((r) => r.plain));
    // Resumable: a second run finds nothing left to do, and (grace over) deletes the retired data key.
    const again = await rotateKeys(db, onlyNew, { orgIds: [org.id], purgeGraceMs: 0 });
    expect(again).toMatchObject({ rotated: 0, rows: rows.length, purgedKeys: 1, failed: [] });
    const keys = await db.systemQuery(`SELECT id, master_key_id, active FROM org_data_key WHERE org_id = $1`, [org.id]);
    expect(keys).toEqual([{ id: expect.any(String), master_key_id: 'k2', active: true }]);
    const [{ n }] = await db.systemQuery(
      `SELECT count(*)::int AS n FROM connection WHERE org_id = $1 AND split_part(secret_data, ':', 2) <> $2`,
      [org.id, keys[0].id],
    );
    expect(n).toBe(0);
    expect(
      envelopeKeyId(
        (
          await db.systemQuery<{ v: string }>(`SELECT secret_ciphertext AS v FROM sso_config WHERE id = $1`, [legacyId])
        )[0].v,
      ),
    ).toBe(keys[0].id);
  });
});
