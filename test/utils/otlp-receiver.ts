import { createServer, type Server } from 'node:http';

/** An OTLP/HTTP span as the JSON exporter sends it (ids in hex). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** A loopback OTLP/HTTP collector: keeps every POST /v1/traces body, raw and parsed. */
export async function otlpReceiver() {
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      contentTypes.push(req.headers['content-type'] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    contentTypes,
    spans: (): OtlpSpan[] =>
      bodies.flatMap((b) =>
        (JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans),
        ),
      ),
    serviceNames: (): unknown[] =>
      bodies.flatMap((b) =>
        (JSON.parse(b) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] } }[] }).resourceSpans.map(
          (r) => r.resource.attributes?.find((a) => a.key === 'service.name')?.value.stringValue,
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const attr = (s: OtlpSpan, key: string): unknown => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v && (v.stringValue ?? v.intValue ?? v.boolValue);
};

/** The chain of ancestors of `span` (itself first) among `spans`. */
export function ancestry(span: OtlpSpan, spans: OtlpSpan[]): OtlpSpan[] {
  const chain = [span];
  for (let s = span; s.parentSpanId;) {
    const parent = spans.find((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId);
    if (!parent) break;
    chain.push(parent);
    s = parent;
  }
  return chain;
}
