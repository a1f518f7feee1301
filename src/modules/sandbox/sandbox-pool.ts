// Why the isolates live in forked host processes, not in this process and not in worker_threads.
// Measured on Node 24.21 with isolated-vm 7.0.1 and a 64 MiB memory limit (2 cores, 24 GB RAM):
// - Contained in-process by isolated-vm: arrays of objects, accumulated large strings and Maps of numbers
//   (isolate disposed at the limit after 0.3-1.5 s), typed arrays and ArrayBuffers (allocation refused with
//   a RangeError), deep recursion (RangeError), `s += s` (RangeError: Invalid string length).
// - Not contained: `new Array(2 ** 30).fill(0)`, `Array.from({ length: 1e9 })`, a Set, a Map with string
//   keys, objects used as dictionaries, sorting huge arrays. V8 reports a "catastrophic out-of-memory":
//   without `onCatastrophicError` it aborts the whole process (SIGABRT, exit 134); with it the isolate's
//   thread hangs forever and its memory leaks (8 hits: RSS 57 -> 307 MB), and the ivm README says to end
//   the process then.
// - worker_threads do not help: the same Set bomb in an isolate created inside a worker thread aborted
//   the whole process (exit 134). An abort is process-wide; only a process boundary contains it.
// - Not charged to the memory limit at all: ArrayBuffer resize (4 GB RSS), WebAssembly.Memory grow
//   (2 GB), Intl objects (~1 GB in 4 s). The first two are removed from every isolate (bootstrap-source.ts);
//   each host's per-job RSS budget (host/memory-budget.ts) is the backstop for the rest.
// So a few host processes (default 2) hold warm isolates keyed by org. When a host dies, the calls it blamed
// fail with `memory`, the others are retried once (sandbox code has no I/O, so a retry is safe), and the
// host is replaced on next use. Nothing a sandbox does can reach this process's heap.
//
// Cost model (2 cores, measured): a fresh V8 context costs 0.7-1.4 ms of CPU (V8 deserializing its context
// snapshot); a fresh SES Compartment in a locked-down context ~0.3-0.5 ms; a call in an existing one ~70 us.
// So each isolate has one context, locked down once with SES (~150 ms, when the isolate is created), and a
// run opens a session (openRun): its calls share one Compartment (its own global, eval and Function over the
// frozen shared intrinsics), created by its first call in an isolate of its org and released by close(); no
// other run sees it. Isolates run one call at a time; a limit that trips disposes the isolate with every
// compartment in it, and the runs that had one there continue in a fresh one. Messages to and from a host are
// coalesced per event-loop turn (one IPC write for all calls of the turn).
import { HostProcess } from './host-process.js';
import type { HostConfig, JobSpec } from './host/protocol.js';
import { OrgSlots } from './org-slots.js';
import { type RawResult, toSandboxResult } from './outcome.js';
import { sandboxMessages, type SubjectWord } from './sandbox.errors.js';
import { type RunBinding, type RunSessionHost, SandboxRun } from './sandbox-run.js';
import {
  type EvaluateAllRequest,
  type EvaluateRequest,
  type JsonValue,
  type ResolvedPoolOptions,
  type RunCodeRequest,
  SANDBOX_DEFAULTS,
  type SandboxData,
  type SandboxPoolOptions,
  type SandboxResult,
} from './sandbox.types.js';

// The host's own watchdog answers at the deadline; past this grace the host is presumed stuck and killed. The
// grace also covers a new isolate's set-up (SES lockdown: ~150 ms idle, seconds on a loaded machine), which
// the host does not charge to the run's clock.
const HOST_GRACE_MS = 3000;
const EXPRESSION_EXCERPT_CHARS = 80;

/** Runs flow code and expressions in isolated-vm isolates. See index.ts for the contract. */
export class SandboxPool {
  private readonly options: ResolvedPoolOptions;
  private readonly hosts: Array<HostProcess | undefined>;
  private readonly slots: OrgSlots;
  private closed = false;
  private nextSession = 1;
  // Handed to each SandboxRun: the session calls, without a public `binding` parameter on the pool's API.
  private readonly sessionHost: RunSessionHost = {
    runCode: (request, binding) => this.runCodeIn(request, binding),
    evaluateAll: (request, binding) => this.evaluateAllIn(request, binding),
    close: (orgId, binding) => this.closeRun(orgId, binding),
  };

  constructor(options: SandboxPoolOptions = {}) {
    this.options = { ...SANDBOX_DEFAULTS, ...withoutUndefined(options) };
    this.hosts = Array.from({ length: Math.max(1, this.options.hostProcesses) }, () => undefined);
    this.slots = new OrgSlots(this.options.maxIsolatesPerOrg);
  }

  /**
   * Opens a run session: the calls made through it share one context (created by the first call), which
   * `close()` releases. Calls of different sessions never share a context.
   */
  openRun(orgId: string): SandboxRun {
    if (typeof orgId !== 'string' || orgId === '') {
      throw new TypeError('orgId must be a non-empty string');
    }
    return new SandboxRun(this.sessionHost, orgId, { id: this.nextSession++ });
  }

  /** Runs a code node in a one-off context of its own. */
  runCode(request: RunCodeRequest): Promise<SandboxResult> {
    return this.runCodeIn(request, undefined);
  }

  async evaluate(request: EvaluateRequest): Promise<SandboxResult> {
    const { orgId, expression, context } = request;
    const result = await this.evaluateAll({ orgId, expressions: [expression], context });
    return result.ok ? { ...result, value: result.value[0] ?? null } : result;
  }

  /** Evaluates many expressions in one sandbox call (one fresh context); results keep the input order. */
  evaluateAll(request: EvaluateAllRequest): Promise<SandboxResult<JsonValue[]>> {
    return this.evaluateAllIn(request, undefined);
  }

  /** Stops every host process. Calls still running and new calls reject with 'SandboxPool is closed'. */
  async close(): Promise<void> {
    this.closed = true;
    const hosts = this.hosts.splice(0, this.hosts.length, ...this.hosts.map(() => undefined));
    await Promise.all(hosts.map((host) => host?.close()));
  }

  /** A call of a run session (binding), or a one-off call (no binding). */
  private async runCodeIn(request: RunCodeRequest, binding: RunBinding | undefined): Promise<SandboxResult> {
    const { orgId, code, input, trigger, nodes } = request;
    if (typeof code !== 'string') {
      throw new TypeError('runCode: code must be a string');
    }
    const raw = await this.execute(orgId, { kind: 'code', code }, { input, trigger, nodes }, 'Code', binding);
    // Rebuilt field by field: the internal extras (isolate id) are not part of the result.
    return raw.ok
      ? { ok: true, value: raw.value, console: raw.console }
      : { ok: false, error: raw.error, console: raw.console };
  }

  private async evaluateAllIn(
    request: EvaluateAllRequest,
    binding: RunBinding | undefined,
  ): Promise<SandboxResult<JsonValue[]>> {
    const { orgId, expressions, context } = request;
    if (!Array.isArray(expressions) || expressions.some((e) => typeof e !== 'string')) {
      throw new TypeError('evaluateAll: expressions must be strings');
    }
    if (expressions.length === 0) {
      return { ok: true, value: [], console: [] };
    }
    const raw = await this.execute(orgId, { kind: 'expressions', expressions }, context, 'Expression', binding);
    if (!raw.ok) {
      const failed = raw.expressionIndex === undefined ? undefined : expressions[raw.expressionIndex];
      const where = failed === undefined ? '' : `In {{ ${excerpt(failed)} }}: `;
      return { ok: false, error: { ...raw.error, message: where + raw.error.message }, console: raw.console };
    }
    if (!Array.isArray(raw.value) || raw.value.length !== expressions.length) {
      const error = { type: 'user_error' as const, message: sandboxMessages.invalidResult('Expression') };
      return { ok: false, error, console: raw.console };
    }
    return { ok: true, value: raw.value, console: raw.console };
  }

  /** Ends a run session (SandboxRun.close). */
  private closeRun(orgId: string, binding: RunBinding): void {
    binding.closed = true;
    if (binding.host?.alive) {
      binding.host.closeSession(orgId, binding.id);
    }
    binding.host = undefined;
  }

  private async execute(
    orgId: string,
    spec: JobSpec,
    data: SandboxData,
    subject: SubjectWord,
    binding?: RunBinding,
  ): Promise<RawResult> {
    if (typeof orgId !== 'string' || orgId === '') {
      throw new TypeError('orgId must be a non-empty string');
    }
    // Data crosses as JSON: nothing of this process is shared with the isolate by reference.
    const dataJson = JSON.stringify({ trigger: data?.trigger, nodes: data?.nodes, input: data?.input });
    this.assertOpen();
    const release = await this.slots.acquire(orgId);
    const started = performance.now();
    let result: RawResult | undefined;
    try {
      result = await this.callWithRetry(orgId, spec, dataJson, subject, binding);
      return result;
    } finally {
      release();
      this.report(orgId, spec.kind, started, result);
    }
  }

  private async callWithRetry(
    orgId: string,
    spec: JobSpec,
    dataJson: string,
    subject: SubjectWord,
    binding: RunBinding | undefined,
  ) {
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      // A run stays on its host, where its context is; a replaced host starts the run over in a fresh context.
      // A call of a run that closed meanwhile (it was abandoned) must not reopen the run's context.
      const session = binding?.closed ? undefined : binding;
      const host = session?.host?.alive ? session.host : this.hostFor(orgId);
      if (session) {
        session.host = host;
      }
      const timeoutMs = this.options.timeoutMs;
      const call = await host.call(spec, orgId, dataJson, timeoutMs, HOST_GRACE_MS, session?.id);
      if (call.status === 'crashed' && !call.blame) {
        this.assertOpen(); // close() stopped the host under this call
        // The host died because of another call: this one is innocent, and pure, so it may run again once.
        if (attempt === 0) {
          continue;
        }
      }
      return toSandboxResult(call, subject, this.options);
    }
  }

  /** Each org sticks to one host (by hash), so its warm isolates are found again. */
  private hostFor(orgId: string): HostProcess {
    const index = hashOrg(orgId) % this.hosts.length;
    let host = this.hosts[index];
    if (!host?.alive) {
      host = new HostProcess(hostConfig(this.options));
      this.hosts[index] = host;
    }
    return host;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('SandboxPool is closed');
    }
  }

  private report(orgId: string, kind: JobSpec['kind'], started: number, result: RawResult | undefined): void {
    if (!this.options.onRun || !result) {
      return;
    }
    const outcome = result.ok ? 'ok' : result.error.type;
    const durationMs = performance.now() - started;
    try {
      this.options.onRun({ orgId, kind, isolateId: result.isolateId, durationMs, outcome });
    } catch {
      // An observer's bug must not turn a finished run into a failure.
    }
  }
}

function hostConfig(options: ResolvedPoolOptions): HostConfig {
  const { memoryLimitMb, consoleMaxBytes, outputMaxBytes, maxIdleIsolates, maxIsolatesPerOrg, hostMemoryLimitMb } =
    options;
  // A run may grow the whole process tree by 3 x its heap limit + 64 MiB. The host keeps a third of the heap
  // limit and 48 MiB of that for the rest (the result on its way, this process's share); V8's heap overshoot
  // before the limit callback (measured: up to ~1.3 x the limit in RSS) fits within the host's part.
  const jobMemoryBudgetMb = 2 * memoryLimitMb + Math.round(memoryLimitMb / 2) + 16;
  return {
    memoryLimitMb,
    consoleMaxBytes,
    outputMaxBytes,
    maxIdleIsolates,
    maxIsolatesPerOrg,
    hostMemoryLimitMb,
    jobMemoryBudgetMb,
  };
}

function withoutUndefined(options: SandboxPoolOptions): SandboxPoolOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** FNV-1a: cheap and stable across processes and restarts. */
function hashOrg(orgId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < orgId.length; i++) {
    hash = Math.imul(hash ^ orgId.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

function excerpt(expression: string): string {
  const text = expression.trim();
  return text.length > EXPRESSION_EXCERPT_CHARS ? `${text.slice(0, EXPRESSION_EXCERPT_CHARS)}...` : text;
}
