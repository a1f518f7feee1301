import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runToExit, startServerProcess, tempDataDir } from '../utils/server-process.js';

const postgresFor = (dir: string): number => {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes('postgres') && l.includes(dir)).length;
};

/** The newcomer's path: `npm start` with no configuration (embedded PostgreSQL), as a real process. */
describe('server process with the embedded database', () => {
  const dir = tempDataDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a first start on a taken port exits 1, leaves no PostgreSQL and creates no keys; the next start shows them', async () => {
    const fresh = tempDataDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as { port: number }).port);
      const failed = await runToExit({ TENANTFLOW_DATA_DIR: fresh, PORT: port, HOME: process.env.HOME ?? '' });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('Could not start');
      expect(failed.stdout).not.toMatch(/tf[pk]_/);
      expect(postgresFor(fresh)).toBe(0);
      const srv = await startServerProcess({ TENANTFLOW_DATA_DIR: fresh });
      try {
        expect(srv.stdout()).toMatch(/tfp_[A-Za-z0-9_-]+/);
        expect(srv.stdout()).toMatch(/tfk_[A-Za-z0-9_-]+/);
      } finally {
        const stopped = await srv.stop('SIGTERM');
        expect(stopped.code, srv.stderr()).toBe(0);
      }
      expect(postgresFor(fresh)).toBe(0);
    } finally {
      taken.close();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('SIGTERM while starting (embedded PostgreSQL up, not yet listening) stops cleanly once up: exit 0, no PostgreSQL left', async () => {
    const fresh = tempDataDir();
    try {
      const result = await runToExit({ TENANTFLOW_DATA_DIR: fresh, HOME: process.env.HOME ?? '' }, (child) => {
        const poll = setInterval(() => {
          if (postgresFor(fresh) > 0) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 20);
        child.once('exit', () => clearInterval(poll));
      });
      expect(result.code, result.stderr).toBe(0);
      expect(postgresFor(fresh)).toBe(0);
      // The first start completed before stopping, so its keys, which exist now, were still shown once.
      expect(result.stdout).toMatch(/tfk_[A-Za-z0-9_-]+/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('first start prints the URL, /docs and both keys once; the owner key works; SIGTERM exits 0 leaving no PostgreSQL', async () => {
    const srv = await startServerProcess({ TENANTFLOW_DATA_DIR: dir });
    const out = srv.stdout();
    expect(out).toContain(`${srv.url}/docs`);
    const platformKey = /(tfp_[A-Za-z0-9_-]+)/.exec(out)?.[1];
    const ownerKey = /(tfk_[A-Za-z0-9_-]+)/.exec(out)?.[1];
    expect(platformKey).toBeTruthy();
    expect(ownerKey).toBeTruthy();
    expect((await fetch(`${srv.url}/health/ready`)).status).toBe(200);
    const projects = await fetch(`${srv.url}/api/v1/projects`, { headers: { authorization: `Bearer ${ownerKey}` } });
    expect(projects.status).toBe(200);
    expect(postgresFor(dir)).toBeGreaterThan(0);
    const { code, ms } = await srv.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(postgresFor(dir)).toBe(0);
  });

  it('a second start reuses the data, prints no keys, and the first owner key still works', async () => {
    const srv = await startServerProcess({ TENANTFLOW_DATA_DIR: dir });
    try {
      expect(srv.stdout()).not.toMatch(/tf[pk]_/);
      expect((await fetch(`${srv.url}/health/ready`)).status).toBe(200);
    } finally {
      expect((await srv.stop('SIGINT')).code).toBe(0);
    }
    expect(postgresFor(dir)).toBe(0);
  });

  it('a bad or unknown setting stops the start with one clear line naming it', async () => {
    const bad = await runToExit({ TENANTFLOW_DATA_DIR: dir, PORT: 'eighty' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('Configuration error: PORT must be a whole number (got "eighty")');
    const unknown = await runToExit({ TENANTFLOW_DATA_DIR: dir, TENANTFLOW_ENCRYPTON_KEY: 'typo' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('TENANTFLOW_ENCRYPTON_KEY is not a known setting');
    const secret = await runToExit({ TENANTFLOW_DATA_DIR: dir, DATABASE_URL: 'not a url with password hunter2' });
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('DATABASE_URL must be an absolute URL');
    expect(secret.stderr).not.toContain('hunter2');
  });
});
