import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The system pool bypasses row-level security, so every file that reaches it is listed here with why; a new
 * file in this list is a security review. The Database docstring points here.
 */
const REVIEWED: Record<string, string> = {
  'src/core/database/migrator.ts': 'migrations under the migration lock',
  'src/modules/identity/credential-records.ts':
    'pre-tenant credential lookups by public id; session activity and key last-used writes',
  'src/modules/identity/bootstrap.service.ts': 'first start: the initial platform key and default org, under a lock',
  'src/modules/identity/platform-keys.service.ts': 'platform keys belong to no org',
  'src/modules/identity/platform.service.ts': 'platform route: creating an org and its owner',
  'src/modules/tenancy/orgs.service.ts': 'platform routes on orgs; org by slug before sign-in',
  'src/modules/audit/audit-query.service.ts': 'the platform audit chain (no org)',
  'src/modules/audit/audit-verify.ts': 'verifying every chain (CLI)',
  'src/modules/audit/audit-retention.service.ts': 'retention across chains, under a lock',
  'src/modules/authorization/denials.ts': 'recording denials of platform principals (no org)',
  'src/modules/flows/flow-runtime.service.ts': 'the flow of /hooks/:flowId before its org is known',
  'src/core/crypto/key-rotation.ts': 'key rotation walks every org (CLI)',
  'src/modules/embed/embed-sessions.service.ts': 'a refused embed token naming no org is audited in the platform chain',
  'src/modules/embed/embed-cors.ts': 'CORS preflights carry no credential: the origins any org allowed',
  'src/modules/execution/execution.system-queries.ts': 'org run settings before the run; the scheduler; crash recovery',
};

/**
 * Connections of their own as the migration owner (no row-level security either), outside the pools: the same
 * review applies.
 */
const DEDICATED: Record<string, string> = {
  'src/core/cluster/pg-cluster-bus.ts': 'LISTEN for the PostgreSQL cluster bus (no table access)',
  'src/modules/execution/runs/run-recovery.service.ts': "the instance's liveness lock and dead instances' locks",
  'src/modules/execution/runs/run-retention.service.ts': 'run-history retention across orgs, under a lock',
  'src/modules/audit/audit-retention.service.ts': 'the audit retention lock',
};

const SYSTEM_CALL = /\b(systemQuery|withSystem|withSystemSession)\s*[<(]/;
const DEDICATED_CALL = /\b(dedicatedClient|withExclusiveSession)\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__tests__' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the system pool stays private', () => {
  const files = sources('src').map((f) => ({
    path: relative('.', f).split('\\').join('/'),
    text: readFileSync(f, 'utf8'),
  }));

  it('is reached only from the reviewed files', () => {
    const users = files
      .filter((f) => f.path !== 'src/core/database/database.ts' && SYSTEM_CALL.test(f.text))
      .map((f) => f.path);
    expect(users.filter((p) => !(p in REVIEWED))).toEqual([]);
    // A file that stopped using it leaves the list, so the list stays true.
    expect(Object.keys(REVIEWED).filter((p) => !users.includes(p))).toEqual([]);
  });

  it('opens dedicated owner connections only from the reviewed files', () => {
    const users = files
      .filter((f) => f.path !== 'src/core/database/database.ts' && DEDICATED_CALL.test(f.text))
      .map((f) => f.path);
    expect(users.filter((p) => !(p in DEDICATED))).toEqual([]);
    expect(Object.keys(DEDICATED).filter((p) => !users.includes(p))).toEqual([]);
  });

  it('keeps TypeORM and driver internals in core/database', () => {
    const internals = files
      .filter((f) => /as unknown as \{ master|\.options as \{ url|\.driver as unknown/.test(f.text))
      .map((f) => f.path);
    expect(internals.every((p) => p.startsWith('src/core/database/'))).toBe(true);
  });
});
