import { describe, expect, it } from 'vitest';
import { Metrics } from '../metrics.js';

describe('Metrics', () => {
  it('keeps one registry per instance, with the role label on every series', async () => {
    const api = new Metrics({ role: 'api' });
    const worker = new Metrics({ role: 'worker' });
    api.observeRequest('GET', '/flows/:flowId', 200, 0.003);
    api.observeRequest('GET', '/flows/:flowId', 200, 0.2);
    worker.counter('tenantflow_jobs_total', 'Jobs.', ['queue']).inc({ queue: 'runs' });
    const a = await api.render();
    expect(a).toContain(
      'http_request_duration_seconds_bucket{le="0.005",role="api",method="GET",route="/flows/:flowId",status="200"} 1',
    );
    expect(a).toContain(
      'http_request_duration_seconds_count{role="api",method="GET",route="/flows/:flowId",status="200"} 2',
    );
    expect(a).not.toContain('tenantflow_jobs_total');
    const w = await worker.render();
    expect(w).toContain('tenantflow_jobs_total{queue="runs",role="worker"} 1');
    expect(w).not.toContain('route="/flows/:flowId"');
    expect(api.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts a request duration on a bucket bound in that bucket, cumulatively, like a prom-client histogram', async () => {
    const m = new Metrics();
    for (const seconds of [0.005, 0.0051, 11]) m.observeRequest('POST', '/hooks/:flowId', 202, seconds);
    const text = await m.render();
    const bucket = (le: string) =>
      `http_request_duration_seconds_bucket{le="${le}",method="POST",route="/hooks/:flowId",status="202"}`;
    expect(text).toContain(`${bucket('0.0025')} 0\n`);
    expect(text).toContain(`${bucket('0.005')} 1\n`);
    expect(text).toContain(`${bucket('0.01')} 2\n`);
    expect(text).toContain(`${bucket('10')} 2\n`);
    expect(text).toContain(`${bucket('+Inf')} 3\n`);
    expect(text).toContain(
      'http_request_duration_seconds_sum{method="POST",route="/hooks/:flowId",status="202"} 11.0101',
    );
    const json = await m.registry.getMetricsAsJSON();
    const count = json.find((x) => x.name === 'http_request_duration_seconds')!.values.at(-1)!;
    expect(count).toMatchObject({ metricName: 'http_request_duration_seconds_count', value: 3 });
    expect(count.labels).toEqual({ method: 'POST', route: '/hooks/:flowId', status: '202' });
  });

  it('returns the same metric when asked twice for a name', async () => {
    const m = new Metrics();
    m.counter('tenantflow_things_total', 'Things.', ['kind']).inc({ kind: 'a' });
    m.counter('tenantflow_things_total', 'Things.', ['kind']).inc({ kind: 'a' });
    const h = m.histogram('tenantflow_wait_seconds', 'Wait.', ['queue'], [0.1, 1]);
    expect(m.histogram('tenantflow_wait_seconds', 'Wait.', ['queue'], [0.1, 1])).toBe(h);
    h.observe({ queue: 'runs' }, 0.5);
    const text = await m.render();
    expect(text).toContain('tenantflow_things_total{kind="a"} 2');
    expect(text).toContain('tenantflow_wait_seconds_bucket{le="1",queue="runs"} 1');
    expect(text).toContain('tenantflow_wait_seconds_bucket{le="0.1",queue="runs"} 0');
  });

  it('reads gauges at scrape time, and a failing read keeps the last values instead of failing /metrics', async () => {
    const m = new Metrics({ role: 'all' });
    let depth: number | Error = 3;
    m.gauge('tenantflow_queue_depth', 'Jobs by queue and state.', ['queue', 'state'], async (g) => {
      if (depth instanceof Error) throw depth;
      g.set({ queue: 'runs', state: 'waiting' }, depth);
    });
    expect(await m.render()).toContain('tenantflow_queue_depth{queue="runs",state="waiting",role="all"} 3');
    depth = 7;
    expect(await m.render()).toContain('tenantflow_queue_depth{queue="runs",state="waiting",role="all"} 7');
    depth = new Error('redis down');
    expect(await m.render()).toContain('tenantflow_queue_depth{queue="runs",state="waiting",role="all"} 7');
  });

  it('adds process metrics only when asked', async () => {
    expect(await new Metrics().render()).not.toContain('nodejs_eventloop_lag_seconds');
    const text = await new Metrics({ role: 'all', processMetrics: true }).render();
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
