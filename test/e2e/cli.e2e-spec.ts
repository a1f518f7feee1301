import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { uniqueSlug } from '../utils/test-app.js';

/** The operator CLI (`npm run cli -- …`), run as a real process on the built code against the test database. */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--no-node-snapshot', 'dist/src/cli.js', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('operator CLI', () => {
  it('creates an org whose owner key is printed once, refuses a duplicate slug, and creates platform keys', () => {
    const slug = uniqueSlug('cli');
    const created = cli('create-org', '--name', 'CLI Org', '--slug', slug);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Owner API key \(shown once\): tfk_[A-Za-z0-9_-]+/);
    const dup = cli('create-org', '--name', 'CLI Org', '--slug', slug);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe(`Error: An organization with slug "${slug}" exists`);
    const key = cli('create-platform-key', '--name', 'ops');
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/tfp_[A-Za-z0-9_-]+/);
  });

  it("verifies an org's audit chain, and explains its usage on a bad command", () => {
    // Other suites tamper with their own orgs' entries on purpose: verify a fresh org's chain, not all of them.
    const created = cli('create-org', '--name', 'Audited', '--slug', uniqueSlug('cli-audit'));
    const orgId = /\(([0-9a-f-]{36})\)/.exec(created.stdout)?.[1];
    expect(orgId, created.stdout).toBeTruthy();
    const verify = cli('audit:verify', '--org', orgId!);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/verified/i);
    const bad = cli('no-such-command');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage: npm run cli');
    expect(cli('create-org', '--name', 'x').code).toBe(2);
  });

  it("prints a new encryption key, and rotates an org's encrypted values under fresh data keys", () => {
    const key = cli('secret');
    expect(key.code).toBe(0);
    expect(Buffer.from(key.stdout.trim(), 'base64')).toHaveLength(32);
    const created = cli('create-org', '--name', 'Rotated', '--slug', uniqueSlug('cli-rotate'));
    const orgId = /\(([0-9a-f-]{36})\)/.exec(created.stdout)?.[1];
    const rotate = cli('keys:rotate', '--new-data-keys', '--org', orgId!);
    expect(rotate.code, rotate.stderr + rotate.stdout).toBe(0);
    expect(rotate.stdout).toMatch(/Rotated 0 of 0 encrypted values in 1 organizations/);
  }, 120_000); // three processes, each booting the application
});
