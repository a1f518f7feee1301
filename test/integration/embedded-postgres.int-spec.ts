import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/core/database/embedded-postgres.js';

/** Whether a TCP connection to host:port is accepted (true) or refused (false). */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 5000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });

/** The zero-setup database (README, SECURITY.md): loopback only, its generated credentials readable by the owner only. */
describe('the embedded PostgreSQL', () => {
  let dir: string;
  let db: EmbeddedDatabase;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tf-embedded-'));
    chmodSync(dir, 0o711); // as root, PostgreSQL runs as 'postgres' and must traverse into it
    db = await startEmbeddedPostgres(join(dir, 'data'), pino({ level: 'silent' }));
    port = Number(new URL(db.url).port);
  }, 180_000);
  afterAll(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only: configured so, and refusing connections on every other address of this machine', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SHOW listen_addresses')).rows[0].listen_addresses).toBe('127.0.0.1');
    } finally {
      await client.end();
    }
    expect(await accepts('127.0.0.1', port)).toBe(true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address);
    for (const address of others) expect(await accepts(address, port), address).toBe(false);
    expect(await accepts('::1', port)).toBe(false);
  });

  it('keeps its generated credentials in a file only its owner can read or write (0600)', () => {
    const mode = statSync(join(dir, 'data', 'pg-credentials.json')).mode & 0o777;
    expect(mode.toString(8)).toBe('600');
  });
});
