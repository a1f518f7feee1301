import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Handler } from './loopback-server.js';

const GZIP_BOMB = gzipSync(Buffer.alloc(20 * 1024 * 1024)); // 20 MiB of zeros, about 20 KiB on the wire
const GZIP_JSON = gzipSync(Buffer.from(JSON.stringify({ compressed: true })));

type Route = (req: IncomingMessage, res: ServerResponse, body: string, query: URLSearchParams) => void;

const routes: Record<string, Route> = {
  '/json': (_req, res) => json(res, 200, { ok: true, list: [1, 2] }),
  '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('héllo'),
  '/latin1': (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9])),
  '/bad-json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{not json'),
  '/bin': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 255])),
  '/empty': (_req, res) => res.writeHead(204).end(),
  '/status': (_req, res, _body, q) => json(res, Number(q.get('code')), { error: 'nope' }),
  '/echo': (req, res, body) => json(res, 200, { method: req.method, url: req.url, headers: req.headers, body }),
  '/redirect': (_req, res, _body, q) =>
    res.writeHead(Number(q.get('status') ?? 302), { location: q.get('to') ?? '/json' }).end('moved'),
  '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
  // Never answers: the client's deadline must end it.
  '/hang': () => {},
  // Answers the head and part of the body, then stalls.
  '/stall': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  },
  '/sized': (_req, res, _body, q) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(Number(q.get('bytes')))),
  // Lies about nothing but is too big: the cap must trip on the declared length.
  '/declared-big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(50 * 1024 * 1024) });
    res.write(Buffer.alloc(1024));
  },
  // No Content-Length: the cap must trip while streaming.
  '/stream-big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 1);
    const writeMore = (): void => {
      while (!res.destroyed && res.write(chunk)) {
        // keep writing until the socket pushes back or the client hangs up
      }
      if (!res.destroyed) {
        res.once('drain', writeMore);
      }
    };
    writeMore();
  },
  '/gzip-bomb': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }).end(GZIP_BOMB),
  '/gzip-json': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(GZIP_JSON),
};

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

/** The handler the allowed-path tests run on their loopback servers. */
export const testRoutes: Handler = (req, res, body) => {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const route = routes[url.pathname];
  if (route) {
    route(req, res, body, url.searchParams);
  } else {
    json(res, 404, { error: 'no such route' });
  }
};
