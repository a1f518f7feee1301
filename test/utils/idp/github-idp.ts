import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubUser {
  id: number;
  login: string;
  name?: string;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

/**
 * A stand-in for GitHub (Enterprise Server layout: /login/oauth/* and /api/v3/*), which is plain OAuth2: the
 * authorize step approves `nextUser` at once; the token endpoint checks the client secret, redirect URI and PKCE.
 */
export class TestGithub {
  base = '';
  nextUser?: GithubUser;
  private server?: Server;
  private readonly codes = new Map<
    string,
    { user: GithubUser; challenge: string; redirectUri: string; clientId: string }
  >();
  private readonly tokens = new Map<string, GithubUser>();

  constructor(private readonly client: { clientId: string; clientSecret: string }) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== this.client.clientId || q.get('code_challenge_method') !== 'S256' || !this.nextUser)
        return json(400, { error: 'bad_request' });
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, {
        user: this.nextUser,
        challenge: q.get('code_challenge')!,
        redirectUri: q.get('redirect_uri')!,
        clientId: q.get('client_id')!,
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return void res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const f = new URLSearchParams(raw);
      const grant = this.codes.get(f.get('code') ?? '');
      this.codes.delete(f.get('code') ?? '');
      const challenge = createHash('sha256')
        .update(f.get('code_verifier') ?? '')
        .digest('base64url');
      // GitHub answers token errors with 200 and an error body.
      if (
        !grant ||
        f.get('client_secret') !== this.client.clientSecret ||
        grant.redirectUri !== f.get('redirect_uri') ||
        grant.challenge !== challenge
      ) {
        return json(200, { error: 'bad_verification_code' });
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      this.tokens.set(token, grant.user);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const user = this.tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    if (!user) return json(401, { message: 'Bad credentials' });
    if (url.pathname === '/api/v3/user') return json(200, { id: user.id, login: user.login, name: user.name ?? null });
    if (url.pathname === '/api/v3/user/emails')
      return json(
        200,
        user.emails.map((e) => ({ ...e, visibility: null })),
      );
    json(404, { message: 'Not Found' });
  }
}
