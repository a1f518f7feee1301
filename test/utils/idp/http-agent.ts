/**
 * A scripted browser for e2e tests without Chromium: a cookie jar (host + path, expiry) and manual redirects, so
 * every hop of a sign-in (app → IdP → app) is visible and can be altered by a test.
 */
interface Cookie {
  host: string;
  path: string;
  name: string;
  value: string;
  expires?: number;
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
  body: string;
  headers: Headers;
}

export class HttpAgent {
  private cookies: Cookie[] = [];

  cookieValue(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }

  setCookie(url: string, name: string, value: string, path = '/'): void {
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === new URL(url).host && c.path === path));
    this.cookies.push({ host: new URL(url).host, path, name, value });
  }

  private header(url: URL): string | undefined {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    const match = this.cookies.filter(
      (c) =>
        c.host === url.host &&
        (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
    return match.length ? match.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const cookie: Cookie = { host: url.host, path: '/', name: pair.slice(0, eq), value: pair.slice(eq + 1) };
      for (const a of attrs) {
        const [k, v] = a.split('=');
        if (k.toLowerCase() === 'path') cookie.path = v;
        if (k.toLowerCase() === 'max-age') cookie.expires = Date.now() + Number(v) * 1000;
        if (k.toLowerCase() === 'expires' && cookie.expires === undefined) cookie.expires = Date.parse(v);
      }
      this.cookies = this.cookies.filter(
        (c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path),
      );
      this.cookies.push(cookie);
    }
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Hop> {
    const u = new URL(url);
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9', ...init.headers };
    const cookie = this.header(u);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(u, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(u, res);
    const location = res.headers.get('location') ?? undefined;
    return {
      url,
      status: res.status,
      location: location ? new URL(location, u).href : undefined,
      body: await res.text(),
      headers: res.headers,
    };
  }

  /** Follows redirects until a non-redirect answer, or until `stop(url)` says to hand the next URL back. */
  async follow(url: string, stop?: (next: string) => boolean, maxHops = 15): Promise<Hop> {
    let hop = await this.request(url);
    for (let i = 0; i < maxHops && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
      if (stop?.(hop.location)) return hop;
      hop = await this.request(hop.location);
    }
    return hop;
  }

  /** Submits the first HTML form of a page the way a browser would (the SAML HTTP-POST binding). */
  async submitForm(page: Hop, edit?: (fields: Record<string, string>) => void): Promise<Hop> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`no form in page from ${page.url}`);
    const fields: Record<string, string> = {};
    for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      fields[m[1]] = unescapeHtml(m[2]);
    edit?.(fields);
    return this.request(unescapeHtml(action), { form: fields });
  }
}

const unescapeHtml = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
