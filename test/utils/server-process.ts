import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  url: string;
  /** Sends a signal and resolves with the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** A temporary data directory the embedded PostgreSQL (running as 'postgres' when we are root) can reach. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tenantflow-proc-'));
  chmodSync(dir, 0o711);
  return dir;
}

/** Runs the built server (`dist/src/main.js`, built by `pretest`) as a real child process. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', 'dist/src/main.js'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) err += `\n[exited on ${signal}]`;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const onData = () => {
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (!url) return;
      child.stdout!.off('data', onData);
      resolve({
        child,
        url,
        stdout: () => out,
        stderr: () => err,
        async stop(signal = 'SIGTERM') {
          const started = Date.now();
          child.kill(signal);
          const code = await exited;
          return { code, ms: Date.now() - started };
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${out}\n${err}`)));
  });
}

/** Runs the built server expecting it to exit; resolves with its exit code and output. `started` sees the child. */
export function runToExit(
  env: Record<string, string>,
  started?: (child: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', 'dist/src/main.js'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
