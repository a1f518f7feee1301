/** A small Prometheus text-format registry: request-duration histograms and gauges read at scrape time. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',');

interface Series {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

export type GaugeReader = () => { labels: Record<string, string>; value: number }[];

export class Metrics {
  private readonly durations = new Map<string, Series>();
  private readonly gauges = new Map<string, { help: string; read: GaugeReader }>();
  private readonly counters = new Map<
    string,
    { help: string; series: Map<string, { labels: Record<string, string>; value: number }> }
  >();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let s = this.durations.get(key);
    if (!s) {
      s = {
        labels: { method, route, status: String(status) },
        counts: new Array<number>(BUCKETS.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.durations.set(key, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  registerGauge(name: string, help: string, read: GaugeReader): void {
    this.gauges.set(name, { help, read });
  }

  /** A monotonic counter; returns its increment function (label values must come from a small, fixed set). */
  counter(name: string, help: string): (labels: Record<string, string>) => void {
    const c = this.counters.get(name) ?? { help, series: new Map() };
    this.counters.set(name, c);
    return (labels) => {
      const key = labelText(labels);
      const s = c.series.get(key) ?? { labels, value: 0 };
      s.value++;
      c.series.set(key, s);
    };
  }

  render(): string {
    const out: string[] = [];
    const h = 'http_request_duration_seconds';
    out.push(`# HELP ${h} HTTP request duration by route and status.`, `# TYPE ${h} histogram`);
    for (const s of this.durations.values()) {
      const l = labelText(s.labels);
      BUCKETS.forEach((b, i) => out.push(`${h}_bucket{${l},le="${b}"} ${s.counts[i]}`));
      out.push(`${h}_bucket{${l},le="+Inf"} ${s.count}`, `${h}_sum{${l}} ${s.sum}`, `${h}_count{${l}} ${s.count}`);
    }
    for (const [name, g] of this.gauges) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      for (const { labels, value } of g.read()) out.push(`${name}{${labelText(labels)}} ${value}`);
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const s of c.series.values()) out.push(`${name}{${labelText(s.labels)}} ${s.value}`);
    }
    out.push(`# HELP process_resident_memory_bytes Resident memory.`, `# TYPE process_resident_memory_bytes gauge`);
    out.push(`process_resident_memory_bytes ${process.memoryUsage().rss}`);
    return `${out.join('\n')}\n`;
  }
}
