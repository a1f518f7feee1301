import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { RequestDurationHistogram } from './request-histogram.js';

export type { Counter, Gauge, Histogram } from 'prom-client';

/** Request-duration buckets (seconds), unchanged from the hand-written registry this replaced. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** Added as the `role` label to every series (TENANTFLOW_MODE: all, api, worker). Unset: no role label. */
  role?: string;
  /** Also collect prom-client's process metrics (event-loop lag, GC, heap, CPU, RSS). Default false. */
  processMetrics?: boolean;
}

/**
 * The process's metrics: a prom-client registry owned by this instance (never the global default registry, so
 * tests may create several), rendered at `GET /metrics`. Label values must come from small fixed sets (never org,
 * run or flow ids, nor routes with ids in them): each distinct value is a series kept for the life of the process.
 *
 * ```ts
 * const depth = metrics.gauge('tenantflow_queue_depth', 'Jobs by queue and state.', ['queue', 'state'], async (g) => {
 *   for (const [state, n] of Object.entries(await queue.getJobCounts('waiting', 'active', 'delayed')))
 *     g.set({ queue: 'runs', state }, n);
 * });
 * const wait = metrics.histogram('tenantflow_queue_wait_seconds', 'Enqueue to start.', ['queue'], [0.01, 0.1, 1, 10]);
 * wait.observe({ queue: 'runs' }, seconds);
 * ```
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new RequestDurationHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by route and status.',
    REQUEST_BUCKETS,
  );

  constructor(opts: MetricsOptions = {}) {
    if (opts.role !== undefined) this.registry.setDefaultLabels({ role: opts.role });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(this.requests as unknown as Metric);
  }

  /** Called once per request: `route` is the route template (`/flows/:flowId`), never the path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe(method, route, status, seconds);
  }

  /** A monotonic counter (`<name>_total` by convention). Asking again for the same name returns the same counter. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.existing<Counter<L>>(name) ?? new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A histogram with explicit buckets (seconds for durations). */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return (
      this.existing<Histogram<L>>(name) ??
      new Histogram({ name, help, labelNames, buckets, registers: [this.registry] })
    );
  }

  /**
   * A gauge, optionally set by `collect` at every scrape (e.g. read a queue's depth). A collect that throws or
   * rejects keeps the last values: one failing source (Redis down) must not take `/metrics` away.
   */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    const found = this.existing<Gauge<L>>(name);
    if (found) return found;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect: collect
        ? async function (this: Gauge<L>) {
            try {
              await collect(this);
            } catch {
              // Keep the last values (see above).
            }
          }
        : undefined,
    });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }
}
