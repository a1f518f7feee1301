import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export interface ChildServer {
  url: string;
  pid: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

export interface ChildServerOptions {
  timeoutMs?: number;
  redisUrl?: string;
  /** More settings for the child (e.g. `{TENANTFLOW_MODE: 'worker'}`). */
  settings?: Record<string, string>;
}

/**
 * Starts `server-child.ts` in a separate Node process against the run's database and waits until it listens;
 * `redisUrl` gives it a Redis (shared limits, the Redis cluster bus).
 */
export async function startChildServer(
  timeoutOrOptions: number | ChildServerOptions = 45_000,
  redisUrlArg?: string,
): Promise<ChildServer> {
  const opts: ChildServerOptions =
    typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions, redisUrl: redisUrlArg } : timeoutOrOptions;
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const redisUrl = opts.redisUrl;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--no-node-snapshot',
      '--import',
      fileURLToPath(new URL('./swc-register.mjs', import.meta.url)),
      fileURLToPath(new URL('./server-child.ts', import.meta.url)),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        TF_CHILD_DATABASE_URL: inject('databaseUrl'),
        ...(process.env.TF_TEST_LOG_LEVEL ? { TF_TEST_LOG_LEVEL: process.env.TF_TEST_LOG_LEVEL } : {}),
        ...(redisUrl ? { TF_CHILD_REDIS_URL: redisUrl } : {}),
        ...(opts.settings ? { TF_CHILD_SETTINGS: JSON.stringify(opts.settings) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        // TF_TEST_LOG_LEVEL (with a level in the child's settings) shows the child's log lines on stderr.
        if (process.env.TF_TEST_LOG_LEVEL) child.stdout!.on('data', (l: Buffer) => process.stderr.write(l));
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string; pid: number });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}: ${stderr}`));
    });
  });
  const signal = (sig: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(sig);
    });
  return { ...ready, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
