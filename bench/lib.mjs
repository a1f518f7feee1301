// Shared bench helpers: child servers, load runs, printing.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export const DURATION = Number(process.env.BENCH_DURATION ?? 5);

/** Runs autocannon and returns req/s and latency percentiles (ms). */
export async function load(opts) {
  const r = await autocannon({ duration: DURATION, connections: 50, pipelining: 1, ...opts });
  if (r.non2xx || r.errors) throw new Error(`${opts.url}: ${r.non2xx} non-2xx, ${r.errors} errors during the run`);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99 };
}

export function forkServer(script, args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: ['--no-node-snapshot'],
    });
    child.once('message', (m) => resolve({ port: m.port, stop: () => stop(child) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/**
 * The server's Node arguments exactly as `npm start` has them (flags, then the entry), with extra flags (and
 * BENCH_NODE_FLAGS, space-separated, for experiments) before the entry; a later V8 flag overrides an earlier one.
 */
function serverArgs(nodeFlags = []) {
  const start = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.start;
  const [, ...args] = start.trim().split(/\s+/);
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return [...args.slice(0, -1), ...nodeFlags, ...extra, args.at(-1)];
}

/**
 * Starts the real server (`dist/src/main.js`, as `npm start` does) on a free port; resolves with its URL and
 * first-start keys (with `{firstStart: false}`, a server on a database already set up: with its URL only).
 * `nodeFlags`: extra Node/V8 flags for this server.
 */
export function startTenantflow(extraEnv = {}, { firstStart = true, nodeFlags = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantflow-bench-'));
  chmodSync(dataDir, 0o711);
  const env = {
    ...process.env,
    PORT: String(20000 + Math.floor(Math.random() * 20000)),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TENANTFLOW_DATA_DIR: dataDir,
    // Production refuses to start without a master key for credentials at rest.
    TENANTFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TENANTFLOW_API_RATE_LIMIT: '1000000000',
    // Webhook load on one flow is the point of the webhook bench: lift the default per-flow limit.
    TENANTFLOW_WEBHOOK_RATE_LIMIT: '1000000000',
    NODE_ENV: 'production',
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, serverArgs(nodeFlags), {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      const owner = /(tfk_[A-Za-z0-9_-]+)/.exec(out)?.[1];
      const platform = /(tfp_[A-Za-z0-9_-]+)/.exec(out)?.[1];
      if (url && (!firstStart || (owner && platform))) {
        resolve({
          url,
          ownerKey: owner,
          platformKey: platform,
          dataDir,
          env,
          nodeFlags,
          pid: child.pid,
          /** Stops the server; `keepData` leaves the data directory for a restart (`restartTenantflow`). */
          stop: async ({ keepData = false } = {}) => {
            await stop(child);
            if (!keepData) rmSync(dataDir, { recursive: true, force: true });
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready:\n${out}`)));
  });
}

/**
 * Starts the server again on a stopped instance's data (same port) and measures the milliseconds from spawning the
 * process until `ready(url)` first resolves true (polled every 10 ms). Resolves with the time and a stop function.
 */
export async function restartTenantflow(previous, ready) {
  const started = performance.now();
  const child = spawn(process.execPath, serverArgs(previous.nodeFlags), {
    env: previous.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`server exited with ${code} while restarting`))),
  );
  exited.catch(() => undefined);
  for (;;) {
    if (await Promise.race([ready(previous.url).catch(() => false), exited])) break;
    if (performance.now() - started > 60_000) {
      await stop(child);
      throw new Error('the restarted server gave no correct answer within 60 s');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = Math.round(performance.now() - started);
  return {
    ms,
    pid: child.pid,
    stop: async () => {
      await stop(child);
      rmSync(previous.dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident memory (MiB) of a process, and of its child processes whose command line contains `match` (Linux /proc). */
export function rssMb(pid, match) {
  const rss = (p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  try {
    if (match === undefined) return Math.round(rss(pid));
    let total = 0;
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
        if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(match)) total += rss(entry);
      } catch {
        // the process ended while we looked
      }
    }
    return Math.round(total);
  } catch {
    return null; // not Linux
  }
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function api(url, key, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A login for the runtime role on the server's database: the embedded cluster's own, or DATABASE_URL switched into it. */
export function appDatabaseLogin(tf) {
  if (process.env.DATABASE_URL) return { TF_APP_URL: process.env.DATABASE_URL, TF_SET_ROLE: '1' };
  const { appPassword } = JSON.parse(readFileSync(join(tf.dataDir, 'pg-credentials.json'), 'utf8'));
  const socketDir = join(tf.dataDir, 'run');
  const socket = readdirSync(socketDir).find((f) => /^\.s\.PGSQL\.\d+$/.test(f));
  if (!socket) throw new Error(`no PostgreSQL socket in ${socketDir}`);
  const port = socket.split('.')[3];
  return {
    TF_APP_URL: `postgres://tenantflow_app:${encodeURIComponent(appPassword)}@127.0.0.1:${port}/tenantflow?host=${encodeURIComponent(socketDir)}`,
  };
}

export const ratio = (a, b) => `${((a / b) * 100).toFixed(1)}%`;

/** Creates a project and a flow, saves `definition` as its draft, publishes and enables it; resolves with the flow id. */
export async function publishDefinition(tf, definition, name = 'bench') {
  const project = await api(tf.url, tf.ownerKey, 'POST', '/api/v1/projects', { name: `bench-${Date.now()}` });
  const flow = await api(tf.url, tf.ownerKey, 'POST', `/api/v1/projects/${project.id}/flows`, { name });
  const draft = await fetch(`${tf.url}/api/v1/flows/${flow.id}/draft`, {
    headers: { authorization: `Bearer ${tf.ownerKey}` },
  });
  const put = await fetch(`${tf.url}/api/v1/flows/${flow.id}/draft`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${tf.ownerKey}`,
      'content-type': 'application/json',
      'if-match': draft.headers.get('etag'),
    },
    body: JSON.stringify({ definition }),
  });
  if (!put.ok) throw new Error(`saving the draft answered ${put.status}: ${await put.text()}`);
  await api(tf.url, tf.ownerKey, 'POST', `/api/v1/flows/${flow.id}/publish`, {});
  await api(tf.url, tf.ownerKey, 'POST', `/api/v1/flows/${flow.id}/enable`);
  return flow.id;
}
