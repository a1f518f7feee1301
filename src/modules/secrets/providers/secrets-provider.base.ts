import { EgressError } from '../../egress/index.js';
import { ProviderFailure, type SecretFailureReason } from '../secrets.exception.js';

export type ProviderState = 'initializing' | 'connecting' | 'connected' | 'error';

/** What a provider holds at a path: a string, or a map of fields (Vault KV, a JSON secret). */
export type SecretValue = string | Record<string, unknown>;

/** The answer of `POST /secret-providers/:name/test`: success, or a reason (never a value, never upstream text). */
export interface ProviderTestResult {
  ok: boolean;
  reason?: SecretFailureReason;
}

/**
 * Base of every secret provider (STYLE B6.11): owns the state machine (`connecting → connected | error`) and a
 * timeout around every call. `connect()` never throws; failures are kept as a reason and reported by the next call.
 * Subclasses implement `doConnect`, `doGetSecret` and `doTest`, import their SDK lazily, and never log values.
 */
export abstract class SecretsProvider {
  state: ProviderState = 'initializing';
  private failure?: SecretFailureReason;
  private connecting?: Promise<void>;

  constructor(protected readonly timeoutMs: number) {}

  async connect(): Promise<void> {
    this.connecting ??= (async () => {
      this.state = 'connecting';
      try {
        await this.withTimeout(this.doConnect());
        this.state = 'connected';
        this.failure = undefined;
      } catch (e) {
        this.state = 'error';
        this.failure = this.classify(e);
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** The value at `path`, connecting first when needed. Throws a {@link ProviderFailure}. */
  async getSecret(path: string): Promise<SecretValue> {
    if (this.state !== 'connected') await this.connect();
    if (this.state !== 'connected') {
      const reason = this.failure ?? 'unavailable';
      this.state = 'initializing'; // the next call tries again (a provider that was down may be back)
      throw new ProviderFailure(reason);
    }
    try {
      return await this.withTimeout(this.doGetSecret(path));
    } catch (e) {
      throw new ProviderFailure(this.classify(e), { cause: e });
    }
  }

  async test(): Promise<ProviderTestResult> {
    await this.connect();
    if (this.state !== 'connected') return { ok: false, reason: this.failure ?? 'unavailable' };
    try {
      await this.withTimeout(this.doTest());
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: this.classify(e) };
    }
  }

  /** Stops timers (token renewal) and closes pooled sockets. */
  dispose(): void {}

  protected abstract doConnect(): Promise<void>;
  protected abstract doGetSecret(path: string): Promise<SecretValue>;
  protected abstract doTest(): Promise<void>;
  /** Maps an SDK error to a reason; the base handles timeouts, egress refusals and socket errors. */
  protected abstract reasonOf(error: unknown): SecretFailureReason | undefined;

  protected classify(e: unknown): SecretFailureReason {
    if (e instanceof ProviderFailure) return e.reason;
    if (e instanceof TimeoutFailure) return 'timeout';
    const egress = findCause(e, (c): c is EgressError => c instanceof EgressError);
    if (egress)
      return egress.reason === 'timeout'
        ? 'timeout'
        : egress.reason === 'dns_failed'
          ? 'unreachable'
          : 'egress_refused';
    const own = this.reasonOf(e);
    if (own) return own;
    const code =
      (
        findCause(e, (c): c is NodeJS.ErrnoException => typeof (c as { code?: unknown })?.code === 'string') as
          NodeJS.ErrnoException | undefined
      )?.code ?? '';
    if (/TIMEDOUT|ECONNABORTED|TimeoutError/i.test(code) || (e as Error)?.name === 'TimeoutError') return 'timeout';
    if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code))
      return 'unreachable';
    if (/CERT|SELF_SIGNED|TLS|SSL/i.test(code)) return 'misconfigured';
    return 'unavailable';
  }

  protected withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutFailure()), this.timeoutMs);
    });
    p.catch(() => undefined);
    return Promise.race([p, limit]).finally(() => clearTimeout(timer));
  }
}

class TimeoutFailure extends Error {}

/** The first error in the `cause` chain (or the error itself) that matches. */
export function findCause<T>(e: unknown, match: (c: unknown) => c is T): T | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur; i++) {
    if (match(cur)) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
