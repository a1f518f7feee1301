import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostConfig, HostToPool, JobResponse, JobSpec, PoolToHost } from './host/protocol.js';
import { SandboxUnavailableError } from './sandbox.errors.js';

/**
 * How a call to a host process ended. `crashed.blame` is set when the dying host blamed this very job,
 * and says which limit the job exceeded.
 */
export type HostCallResult =
  | { status: 'done'; response: JobResponse }
  | { status: 'crashed'; blame?: 'timeout' | 'memory' }
  | { status: 'unresponsive' };

interface PendingCall {
  resolve: (result: HostCallResult) => void;
  timer: NodeJS.Timeout;
}

const STARTUP_TIMEOUT_MS = 15_000;
const SHUTDOWN_GRACE_MS = 1000;
const STDERR_TAIL_BYTES = 4096;

// Under Vitest this module is TypeScript source and so is the host entry beside it; built code is .js.
const HOST_ENTRY = new URL(`./host/sandbox-host${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

// Only what shapes user-visible behaviour (Date and Intl defaults). The API process's environment holds
// database URLs and keys: a host that some V8 bug let code escape into should not find them there.
const HOST_ENV_KEYS = ['TZ', 'LANG', 'LC_ALL'];

function hostEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(HOST_ENV_KEYS.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
}

/** One forked sandbox host process and the calls in flight on it. */
export class HostProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, PendingCall>();
  private readonly blamed = new Map<number, 'timeout' | 'memory'>();
  private readonly ready: Promise<void>;
  private nextId = 1;
  private exited = false;
  /** Messages of this event-loop turn, sent together as one IPC message (one write). */
  private outbox: Array<{ message: PoolToHost; id?: number }> = [];
  private stderrTail = '';

  constructor(config: HostConfig) {
    this.child = fork(fileURLToPath(HOST_ENTRY), [JSON.stringify(config)], {
      execArgv: ['--no-node-snapshot'],
      env: hostEnv(),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.ready = this.waitUntilReady();
    this.ready.catch(() => undefined); // surfaced by call()
    this.child.on('message', (message: HostToPool) => this.onMessage(message));
    this.child.on('exit', () => this.onExit());
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    // An idle pool must not keep the API process alive; a call in flight holds its own (ref'd) timer.
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Runs a job. `deadlineMs` is the host's own limit plus a grace: a host that has not answered by then
   * is stuck (the in-host watchdog fires first), so it is killed and this call reports `unresponsive`.
   */
  async call(spec: JobSpec, orgId: string, dataJson: string, timeoutMs: number, graceMs: number, session?: number) {
    await this.ready;
    return new Promise<HostCallResult>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.settle(id, { status: 'unresponsive' });
        this.kill();
      }, timeoutMs + graceMs);
      this.pending.set(id, { resolve, timer });
      this.post({ ...spec, type: 'job', id, orgId, dataJson, timeoutMs, session }, id);
    });
  }

  /** The run ended: the host releases its context (after the session's last job, if one is still running). */
  closeSession(orgId: string, session: number): void {
    if (!this.exited) {
      this.post({ type: 'close', orgId, session });
    }
  }

  /** Jobs sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  private post(message: PoolToHost, id?: number): void {
    this.outbox.push({ message, id });
    if (this.outbox.length === 1) {
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    if (this.exited) {
      batch.forEach((item) => item.id !== undefined && this.settle(item.id, { status: 'crashed' }));
      return;
    }
    const message: PoolToHost =
      batch.length === 1 ? batch[0].message : { type: 'batch', messages: batch.map((item) => item.message) };
    this.child.send(message, (err) => {
      if (err) {
        batch.forEach((item) => item.id !== undefined && this.settle(item.id, { status: 'crashed' }));
      }
    });
  }

  kill(): void {
    if (!this.exited) {
      this.child.kill('SIGKILL');
    }
  }

  /** Asks the host to dispose its isolates and exit; kills it if it does not within a second. */
  async close(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'shutdown' }, () => undefined);
    const timer = setTimeout(() => this.kill(), SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private waitUntilReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      // The host's stderr (a Node stack with paths, on an unsupported Node) goes to the server's stderr for the
      // operator, never into the error: that one reaches run records and webhook callers.
      const fail = () => {
        if (settled) return;
        settled = true;
        const detail = this.stderrTail.trim();
        process.stderr.write(`Sandbox host process failed to start: ${detail.split('\n')[0] ?? ''}\n`);
        reject(new SandboxUnavailableError(detail));
      };
      const timer = setTimeout(() => {
        fail();
        this.kill();
      }, STARTUP_TIMEOUT_MS);
      this.child.once('exit', () => {
        clearTimeout(timer);
        fail();
      });
      this.child.on('message', (message: HostToPool) => {
        if (message.type === 'ready') {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  private onMessage(message: HostToPool): void {
    if (message.type === 'results') {
      for (const response of message.results) {
        this.settle(response.id, { status: 'done', response });
      }
    } else if (message.type === 'fatal') {
      message.jobIds.forEach((id) => this.blamed.set(id, message.limit));
    }
  }

  private onExit(): void {
    this.exited = true;
    for (const id of [...this.pending.keys()]) {
      this.settle(id, { status: 'crashed', blame: this.blamed.get(id) });
    }
  }

  private settle(id: number, result: HostCallResult): void {
    const call = this.pending.get(id);
    if (call) {
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.resolve(result);
    }
  }
}
