import {
  type SandboxData,
  type SandboxPool,
  type SandboxResult,
  type SandboxRun,
  SandboxUnavailableError,
} from '../../sandbox/index.js';
import { StepFailure } from './run-errors.js';
import type { RunSandbox, SandboxScope, ScriptSandbox } from './sandbox.port.js';

function unwrap<T>(r: SandboxResult<T>): T {
  if (r.ok) return r.value;
  throw new StepFailure(r.error.type, r.error.message);
}

/**
 * Rejections of the pool (a host that cannot start, data that is not JSON) fail the node with a fixed message:
 * what the pool threw may hold a host stack and paths, and run errors reach records and anonymous callers.
 */
function misuse(e: unknown): never {
  if (e instanceof StepFailure) throw e;
  if (e instanceof SandboxUnavailableError) throw new StepFailure('node_error', e.message);
  throw new StepFailure('node_error', 'The sandbox could not run the script: its data is not JSON');
}

/**
 * The engine's sandbox port on the sandbox module's pool (isolates in separate host processes, a fresh context
 * per run, or per call outside a run, limits from the pool's configuration). Per-call limits shorter than the pool's are enforced by the
 * engine's attempt timer; cancellation lets the call finish within the pool's limit in the background.
 */
export class SandboxPoolAdapter implements ScriptSandbox {
  constructor(private readonly pool: SandboxPool) {}

  async evaluateAll(orgId: string, expressions: string[], scope: SandboxScope): Promise<unknown[]> {
    const r = await this.pool.evaluateAll({ orgId, expressions, context: scope as SandboxData }).catch(misuse);
    return unwrap(r);
  }

  async runCode(orgId: string, code: string, scope: SandboxScope): Promise<unknown> {
    const r = await this.pool.runCode({ orgId, code, ...(scope as SandboxData) }).catch(misuse);
    return unwrap(r);
  }

  openRun(orgId: string): RunSandbox {
    return new RunSandboxAdapter(this.pool.openRun(orgId));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** One run's calls, in the run's own context (SandboxPool.openRun). */
class RunSandboxAdapter implements RunSandbox {
  constructor(private readonly run: SandboxRun) {}

  async evaluateAll(orgId: string, expressions: string[], scope: SandboxScope): Promise<unknown[]> {
    if (orgId !== this.run.orgId) throw new StepFailure('node_error', 'The sandbox run belongs to another org');
    const r = await this.run.evaluateAll(expressions, scope as SandboxData).catch(misuse);
    return unwrap(r);
  }

  async runCode(orgId: string, code: string, scope: SandboxScope): Promise<unknown> {
    if (orgId !== this.run.orgId) throw new StepFailure('node_error', 'The sandbox run belongs to another org');
    const r = await this.run.runCode({ code, ...(scope as SandboxData) }).catch(misuse);
    return unwrap(r);
  }

  release(): void {
    this.run.close();
  }
}
