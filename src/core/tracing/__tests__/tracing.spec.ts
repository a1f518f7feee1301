import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../../config/app-config.js';
import { exportErrorText, Tracing, tracesEndpoint } from '../tracing.js';

const exporter = new InMemorySpanExporter();
const tracing = Tracing.withExporter(exporter, 'tenantflow-test');
afterAll(() => tracing.shutdown());

const finished = async () => {
  await tracing.flush();
  return exporter.getFinishedSpans();
};
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Tracing', () => {
  it('nests active spans across await, ends them, and marks a rejection as an error without its message', async () => {
    exporter.reset();
    await tracing.startActiveSpan('outer', { 'tenantflow.run.id': 'r1' }, async () => {
      await tick();
      await tracing.startActiveSpan('inner', {}, async () => tick());
      await expect(
        tracing.startActiveSpan('failing', {}, async () => {
          await tick();
          throw new Error('sk_live_secret in a message');
        }),
      ).rejects.toThrow();
      // A step failure's type is kept (a classification); anything else gives its class name.
      const stepFailure = Object.assign(new Error('quotes user data'), { type: 'user_error' });
      expect(() =>
        tracing.startActiveSpan('typed', {}, () => {
          throw stepFailure;
        }),
      ).toThrow();
      const odd = Object.assign(new TypeError('x'), { type: 'not a type: sk_live' });
      expect(() =>
        tracing.startActiveSpan('odd', {}, () => {
          throw odd;
        }),
      ).toThrow();
    });
    const spans = await finished();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const outer = byName.outer.spanContext();
    expect(byName.outer.attributes['tenantflow.run.id']).toBe('r1');
    expect(byName.inner.parentSpanContext?.spanId).toBe(outer.spanId);
    expect(byName.failing.parentSpanContext?.spanId).toBe(outer.spanId);
    expect(byName.inner.spanContext().traceId).toBe(outer.traceId);
    expect(byName.failing.status).toEqual({ code: 2, message: 'Error' });
    expect(byName.typed.status).toEqual({ code: 2, message: 'user_error' });
    expect(byName.odd.status).toEqual({ code: 2, message: 'error' });
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.status, s.events]))).not.toContain('sk_live');
    expect(byName.outer.resource.attributes['service.name']).toBe('tenantflow-test');
  });

  it('carries the trace through a W3C carrier (a queue job) and continues it elsewhere', async () => {
    exporter.reset();
    let carrier: Record<string, string> = {};
    await tracing.startActiveSpan('enqueue', {}, async () => {
      carrier = tracing.injectTraceContext();
    });
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The worker side: no active span, only the job's data.
    await tracing.withTraceContext(JSON.parse(JSON.stringify(carrier)), () =>
      tracing.startActiveSpan('run', {}, async () => tick()),
    );
    const spans = await finished();
    const enqueue = spans.find((s) => s.name === 'enqueue')!;
    const run = spans.find((s) => s.name === 'run')!;
    expect(run.spanContext().traceId).toBe(enqueue.spanContext().traceId);
    expect(run.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    expect(tracing.injectTraceContext()).toEqual({});
  });

  it('off: runs the callbacks as they are, with nothing to carry', async () => {
    const off = Tracing.disabled();
    expect(off.enabled).toBe(false);
    expect(off.startActiveSpan('x', {}, (span) => (span.setAttribute('a', 1), 42))).toBe(42);
    await expect(off.startActiveSpan('x', {}, async () => 'async')).resolves.toBe('async');
    expect(off.injectTraceContext()).toEqual({});
    expect(off.withTraceContext({ traceparent: '00-'.padEnd(55, '1') }, () => 'ran')).toBe('ran');
    expect(off.startServerSpan('GET', {}, {})).toBeUndefined();
  });

  it('is on only with an OTLP endpoint; the traces endpoint wins over the base one', () => {
    const config = (env: Record<string, string>) => AppConfig.fromEnv(env);
    expect(tracesEndpoint(config({}))).toBeUndefined();
    expect(tracesEndpoint(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesEndpoint(
        config({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/custom',
        }),
      ),
    ).toBe('http://other:4318/custom');
  });

  it('logs an export failure without the collector credentials, whatever the error says', () => {
    const text = exportErrorText(new Error('401 for Authorization: Bearer otlp-s3cret at https://u:p%40ss@x'), [
      'Bearer otlp-s3cret',
      'p%40ss',
      'p@ss',
      '',
    ]);
    expect(text).not.toContain('otlp-s3cret');
    expect(text).not.toContain('p%40ss');
    expect(text).toContain('[REDACTED]');
    expect(exportErrorText('x'.repeat(500), [])).toHaveLength(200);
  });
});
