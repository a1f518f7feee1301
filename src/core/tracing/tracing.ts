import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { parseKeyPairsIntoRecord, setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

/** Span attribute values: ids, names and small enums only. Never secrets, request bodies or header values. */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** A W3C trace-context carrier (`traceparent`, maybe `tracestate`): put it into a queue job's data. */
export type TraceCarrier = Record<string, string>;

/** What `startActiveSpan`'s callback may do with its span (a no-op object when tracing is off). */
export type TraceSpan = Pick<Span, 'setAttribute' | 'setAttributes' | 'setStatus' | 'updateName' | 'end'>;

const NOOP_SPAN: TraceSpan = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
const propagator = new W3CTraceContextPropagator();
const SHUTDOWN_WAIT_MS = 3000;
const ERROR_LOG_INTERVAL_MS = 60_000;
const FAILURE_TYPE_RE = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
export function tracesEndpoint(config: AppConfig): string | undefined {
  const traces = config.optional('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces) return traces;
  const base = config.optional('OTEL_EXPORTER_OTLP_ENDPOINT');
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * OpenTelemetry traces, off unless an OTLP endpoint is configured. Off, every method costs one branch: no span,
 * no context, nothing exported. On, spans go to the OTLP/HTTP (JSON) endpoint in batches. The tracer provider
 * belongs to this instance (not the global one); the context manager that carries the active span across `await`
 * is process-wide (AsyncLocalStorage) and registered by the first instance that turns tracing on.
 */
export class Tracing {
  private constructor(
    private readonly tracer: Tracer | undefined,
    private readonly provider: TracerProvider | undefined,
  ) {}

  static disabled(): Tracing {
    return new Tracing(undefined, undefined);
  }

  static fromConfig(config: AppConfig, log: Logger): Tracing {
    const url = tracesEndpoint(config);
    if (!url) return Tracing.disabled();
    const headers = parseKeyPairsIntoRecord(config.optional('OTEL_EXPORTER_OTLP_HEADERS'));
    const exporter = new OTLPTraceExporter({ url, headers, timeoutMillis: 5000 });
    const tracing = Tracing.withExporter(exporter, config.get('OTEL_SERVICE_NAME'));
    // The collector's credentials (header values, a password in the URL) never reach the log, whatever an error says.
    const { username, password } = new URL(url);
    const inUrl = [password, username].flatMap((v) => [v, safeDecode(v)]);
    reportExportErrors(log, [...Object.values(headers), ...inUrl]);
    log.info({ endpoint: new URL(url).origin }, 'tracing: spans are exported over OTLP/HTTP');
    return tracing;
  }

  /** Tracing into any exporter (tests use an in-memory one). */
  static withExporter(exporter: SpanExporter, serviceName: string): Tracing {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    // Registers only if no other manager is: a second instance in the same process shares the first one's.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    return new Tracing(provider.getTracer('tenantflow'), provider);
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Runs `fn` inside a new span, child of the active one; the span ends when `fn` returns or settles, with an error
   * status if it throws or rejects. Off: calls `fn` with a no-op span.
   */
  startActiveSpan<T>(name: string, attrs: SpanAttributes, fn: (span: TraceSpan) => T): T {
    if (!this.tracer) return fn(NOOP_SPAN);
    return this.tracer.startActiveSpan(name, { attributes: attrs as Attributes }, (span) => {
      let result: T;
      try {
        result = fn(span);
      } catch (e) {
        failed(span, e);
        span.end();
        throw e;
      }
      if (!(result instanceof Promise)) {
        span.end();
        return result;
      }
      return result.then(
        (value) => (span.end(), value),
        (e: unknown) => {
          failed(span, e);
          span.end();
          throw e;
        },
      ) as T;
    });
  }

  /**
   * A server span for one incoming request, continuing the caller's `traceparent` if it sent one. Returns undefined
   * when off. The caller runs the handler through `run` and ends the span when the response is done.
   */
  startServerSpan(
    name: string,
    attrs: SpanAttributes,
    headers: Record<string, string | string[] | undefined>,
  ): { span: Span; run(fn: () => void): void } | undefined {
    if (!this.tracer) return undefined;
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attrs as Attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    return { span, run: (fn) => context.with(ctx, fn) };
  }

  /** The active span's W3C trace context, to carry into a queue job; `{}` when off or outside any span. */
  injectTraceContext(): TraceCarrier {
    const carrier: TraceCarrier = {};
    if (this.tracer) propagator.inject(context.active(), carrier, defaultSetter);
    return carrier;
  }

  /** Runs `fn` as a continuation of the trace in `carrier` (from {@link injectTraceContext}); off: just `fn()`. */
  withTraceContext<T>(carrier: TraceCarrier | undefined, fn: () => T): T {
    if (!this.tracer || !carrier?.traceparent) return fn();
    return context.with(propagator.extract(ROOT_CONTEXT, carrier, headerGetter), fn);
  }

  /** Sends the spans buffered so far now, rather than at the next batch. */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Exports what is still buffered (bounded wait: a dead collector must not hold the shutdown). */
  async shutdown(): Promise<void> {
    if (!this.provider) return;
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
    await Promise.race([this.provider.shutdown().catch(() => undefined), wait]);
    clearTimeout(timer);
  }
}

/** Marks a span failed with a classification (`user_error`, `timed_out`), never a message. */
export function markFailed(span: TraceSpan, type: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: FAILURE_TYPE_RE.test(type) ? type : 'error' });
}

function failed(span: Span, e: unknown): void {
  // A classification only (a step failure's type, or the class name): a message may quote user data or a secret.
  const type = (e as { type?: unknown } | undefined)?.type;
  markFailed(span, typeof type === 'string' ? type : e instanceof Error ? e.name : 'error');
}

const headerGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const v = carrier[key];
    return typeof v === 'string' || Array.isArray(v) ? (v as string | string[]) : undefined;
  },
};

const defaultSetter = {
  set: (carrier: TraceCarrier, key: string, value: string) => {
    carrier[key] = value;
  },
};

/**
 * What an export failure may say in the log: its message with every configured credential value replaced (redacted
 * by value, so however the exporter words its error), cut to 200 characters.
 */
export function exportErrorText(e: unknown, secrets: readonly string[]): string {
  let text = e instanceof Error ? e.message : String(e);
  for (const secret of secrets) if (secret) text = text.split(secret).join('[REDACTED]');
  return text.slice(0, 200);
}

const safeDecode = (v: string): string => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

let lastErrorLog = 0;
/** Export failures (collector down) are logged as warnings, at most once a minute, without payload or credentials. */
function reportExportErrors(log: Logger, secrets: readonly string[]): void {
  setGlobalErrorHandler((e) => {
    const now = Date.now();
    if (now - lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    lastErrorLog = now;
    log.warn({ err: exportErrorText(e, secrets) }, 'tracing: could not export spans');
  });
}
