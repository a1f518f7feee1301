import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  MultiSamlStrategy,
  ValidateInResponseTo,
  type CacheItem,
  type CacheProvider,
  type PassportSamlConfig,
  type Profile,
  type VerifiedCallback,
  type VerifyWithoutRequest,
} from '@node-saml/passport-saml';
import type { SamlSettings } from '../sso.types.js';
import type { SamlRequestRecord, SsoStateStore } from '../state/sso-state.store.js';

/** How long an issued AuthnRequest id stays answerable. */
export const SAML_REQUEST_TTL_MS = 10 * 60_000;
const CTX = Symbol('tenantflow.saml');

export interface SamlOrgContext {
  orgId: string;
  settings: SamlSettings;
  spEntityId: string;
  acsUrl: string;
  cache: OrgRequestCache;
}

/**
 * The library's `cacheProvider`, bound to one org (ids of another org's requests are simply absent) and backed by
 * the shared state store. `removeAsync` consumes atomically and remembers what it took, so the caller can tell
 * whether this request, and not a concurrent one, used the id.
 */
export class OrgRequestCache implements CacheProvider {
  taken?: { id: string; record: SamlRequestRecord };

  /** `request`: what a login saves with its request id; absent at the ACS, which never saves one. */
  constructor(
    private readonly store: SsoStateStore,
    private readonly orgId: string,
    private readonly request?: { returnTo: string; bindingHash: Buffer },
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    if (!this.request) throw new Error('a SAML request is saved only by a login');
    await this.store.saveSamlRequest(this.orgId, key, this.request, SAML_REQUEST_TTL_MS);
    return { value, createdAt: Date.now() };
  }

  async getAsync(key: string): Promise<string | null> {
    const rec = await this.store.getSamlRequest(this.orgId, key);
    return rec ? rec.createdAt.toISOString() : null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (!key) return null;
    const record = await this.store.takeSamlRequest(this.orgId, key);
    if (record) this.taken = { id: key, record };
    return record ? key : null;
  }
}

function optionsFor(ctx: SamlOrgContext): Partial<PassportSamlConfig> {
  const s = ctx.settings;
  return {
    issuer: ctx.spEntityId,
    audience: ctx.spEntityId,
    callbackUrl: ctx.acsUrl,
    entryPoint: s.ssoUrl,
    idpIssuer: s.idpEntityId,
    // Trust comes from the org's configuration only, never from KeyInfo in the message.
    idpCert: s.idpCerts,
    wantAssertionsSigned: true,
    // A signed response around the signed assertion is accepted, not required (we verify it ourselves when present).
    wantAuthnResponseSigned: false,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    acceptedClockSkewMs: s.clockSkewSeconds * 1000,
    maxAssertionAgeMs: s.maxAssertionAgeSeconds * 1000,
    validateInResponseTo: s.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: SAML_REQUEST_TTL_MS,
    cacheProvider: ctx.cache,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    authnRequestBinding: 'HTTP-Redirect',
  };
}

type Outcome =
  | { type: 'success'; user: unknown }
  | { type: 'redirect'; url: string }
  | { type: 'fail'; info?: unknown }
  | { type: 'error'; err: Error };

/**
 * passport-saml's MultiSamlStrategy, the org chosen by the URL. It is driven directly (not through
 * `passport.authenticate`) with a synthetic request that carries only the fields we chose to pass, so the library
 * never sees query parameters of the login route or other form fields, and every outcome comes back to us to
 * render (a library error is a refusal, never a 500).
 */
@Injectable()
export class SamlStrategyRunner {
  private readonly strategy = new MultiSamlStrategy(
    {
      passReqToCallback: false,
      getSamlOptions: (req, done) => {
        const ctx = (req as unknown as Record<symbol, SamlOrgContext | undefined>)[CTX];
        if (!ctx) return done(new Error('no org context'));
        done(null, optionsFor(ctx));
      },
    },
    ((profile: Profile | null, done: VerifiedCallback) =>
      done(null, profile ? { profile } : undefined)) as VerifyWithoutRequest,
    ((_profile: Profile | null, done: VerifiedCallback) =>
      done(new Error('SAML logout is not supported'))) as VerifyWithoutRequest,
  );

  private fakeRequest(ctx: SamlOrgContext, body?: Record<string, string>): Request {
    return { [CTX]: ctx, query: {}, body, headers: {}, url: '/', method: body ? 'POST' : 'GET' } as unknown as Request;
  }

  private run(req: Request): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const s = Object.create(this.strategy) as MultiSamlStrategy & Record<string, unknown>;
      s.success = (user: unknown) => resolve({ type: 'success', user });
      s.redirect = (url: string) => resolve({ type: 'redirect', url });
      s.fail = (info: unknown) => resolve({ type: 'fail', info });
      s.pass = () => resolve({ type: 'fail' });
      s.error = (err: Error) => resolve({ type: 'error', err });
      try {
        s.authenticate(req, { session: false });
      } catch (err) {
        resolve({ type: 'error', err: err as Error });
      }
    });
  }

  /** SP-initiated login: the IdP URL carrying a deflated AuthnRequest (HTTP-Redirect); its id is saved first. */
  async authorizeUrl(ctx: SamlOrgContext): Promise<string> {
    const out = await this.run(this.fakeRequest(ctx));
    if (out.type === 'redirect') return out.url;
    throw out.type === 'error' ? out.err : new Error('SAML login produced no redirect');
  }

  /** Signature, time, audience and InResponseTo checks by the library; returns the profile or the error. */
  async validate(ctx: SamlOrgContext, samlResponse: string): Promise<{ profile: Profile } | { error: Error }> {
    const out = await this.run(this.fakeRequest(ctx, { SAMLResponse: samlResponse }));
    if (out.type === 'success') return out.user as { profile: Profile };
    if (out.type === 'error') return { error: out.err };
    return { error: new Error('SAML response refused') };
  }
}
