import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Database } from '../../core/database/database.js';
import { EmbedKeysService } from './embed-keys.service.js';

/** The routes an embedded session may call: CORS is answered on these only. */
const EMBED_ROUTES =
  /^\/api\/v1\/(embed\/sessions|auth\/(me|logout)|projects\/[^/]+(\/flows)?|flows(\/.*)?|runs(\/.*)?|connections(\/.*)?)$/;
const CACHE_MS = 5000;

/**
 * CORS for embedded use, per org: a page of an origin the org allowed (`PUT /api/v1/embed/settings`) may call the
 * embed routes with a bearer session. Nothing relies on cookies, so credentials are never allowed. A preflight
 * carries no credential, so it is answered for origins some org allowed; the real request gets the headers only
 * when its own org allowed the origin, so a browser page of any other origin cannot read the answer.
 */
@Injectable()
export class EmbedCors {
  private union?: { at: number; origins: Promise<Set<string>> };

  constructor(
    private readonly db: Database,
    private readonly keys: EmbedKeysService,
  ) {}

  forget(): void {
    this.union = undefined;
  }

  /** Express middleware, before the router: answers preflights of embed routes. */
  preflight() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const origin = req.headers.origin;
      if (
        req.method !== 'OPTIONS' ||
        !origin ||
        !req.headers['access-control-request-method'] ||
        !EMBED_ROUTES.test(req.path)
      )
        return next();
      this.anyOrgAllows(origin.toLowerCase()).then((ok) => {
        if (!ok) return next();
        res
          .status(204)
          .set({
            'Access-Control-Allow-Origin': origin,
            Vary: 'Origin',
            'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
            'Access-Control-Allow-Headers': 'authorization, content-type, if-match, idempotency-key',
            'Access-Control-Max-Age': '600',
          })
          .end();
      }, next);
    };
  }

  /** Adds the CORS headers to an embed route's answer when the org allowed the request's origin. */
  async applyForOrg(req: Request, orgId: string): Promise<void> {
    const origin = req.headers.origin;
    if (!origin || !EMBED_ROUTES.test(req.path)) return;
    if (!(await this.keys.allowedOrigins(orgId)).includes(origin.toLowerCase())) return;
    req.res?.set({
      'Access-Control-Allow-Origin': origin,
      Vary: 'Origin',
      'Access-Control-Expose-Headers':
        'ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id',
    });
  }

  private anyOrgAllows(origin: string): Promise<boolean> {
    if (!this.union || Date.now() - this.union.at > CACHE_MS) {
      const origins = this.db.withSystem(
        async (em) =>
          new Set(
            (
              (await em.query(`SELECT DISTINCT unnest(allowed_origins) AS o FROM embed_settings`)) as { o: string }[]
            ).map((r) => r.o),
          ),
      );
      this.union = { at: Date.now(), origins };
      origins.catch(() => (this.union = undefined));
    }
    return this.union.origins.then((s) => s.has(origin));
  }
}
