import { Injectable } from '@nestjs/common';
import { generateServiceProviderMetadata } from '@node-saml/passport-saml';
import { SsoLoginFailure } from '../sso.exception.js';
import type { SamlSettings, SsoConfigRecord, VerifiedIdentity } from '../sso.types.js';
import type { OrgSsoUrls } from '../sso-urls.js';
import { SsoStateStore } from '../state/sso-state.store.js';
import { bindingHash, bindingMatches } from '../login/browser-binding.js';
import { isSafeReturnTo } from '../login/return-to.js';
import { checkAssertion, type CheckedAssertion } from './saml-assertion.js';
import { samlFailure } from './saml-errors.js';
import { precheckResponse } from './saml-precheck.js';
import { responseSignatureValid } from './saml-response-signature.js';
import { OrgRequestCache, SamlStrategyRunner, type SamlOrgContext } from './saml-strategy.js';

const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'urn:oid:0.9.2342.19200300.100.1.3',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const NAME_ATTRIBUTES = [
  'displayName',
  'name',
  'urn:oid:2.16.840.1.113730.3.1.241',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

type SamlConfig = SsoConfigRecord<SamlSettings>;

/**
 * SAML sign-in for one org: SP metadata, SP-initiated login over HTTP-Redirect, and the ACS. The ACS runs our raw
 * pre-checks, then the library (signatures against the configured certificates, time, audience, InResponseTo
 * through the shared store), then our checks on the verified assertion, then single use of the request id and the
 * assertion id. Every refusal is a {@link SsoLoginFailure}.
 */
@Injectable()
export class SamlLoginService {
  constructor(
    private readonly runner: SamlStrategyRunner,
    private readonly state: SsoStateStore,
  ) {}

  /** `request`: at login, the returnTo and browser binding stored with the request id (never sent to the IdP). */
  private context(
    cfg: SamlConfig,
    urls: OrgSsoUrls,
    request?: { returnTo: string; bindingHash: Buffer },
  ): SamlOrgContext {
    return {
      orgId: cfg.orgId,
      settings: cfg.settings,
      spEntityId: urls.samlEntityId,
      acsUrl: urls.samlAcsUrl,
      cache: new OrgRequestCache(this.state, cfg.orgId, request),
    };
  }

  /** SP metadata: entity ID and ACS (HTTP-POST); nothing org-secret, so it is served before SAML is configured. */
  metadata(urls: OrgSsoUrls): string {
    return generateServiceProviderMetadata({
      issuer: urls.samlEntityId,
      callbackUrl: urls.samlAcsUrl,
      identifierFormat: null,
      wantAssertionsSigned: true,
    });
  }

  /** `binding`: the value of the browser's binding cookie; the ACS accepts the answer only from that browser. */
  loginUrl(cfg: SamlConfig, urls: OrgSsoUrls, returnTo: string, binding: string): Promise<string> {
    return this.runner.authorizeUrl(this.context(cfg, urls, { returnTo, bindingHash: bindingHash(binding) }));
  }

  async acs(
    cfg: SamlConfig,
    urls: OrgSsoUrls,
    samlResponse: string,
    relayState: string | undefined,
    binding: string | undefined,
  ): Promise<{ identity: VerifiedIdentity; returnTo: string }> {
    const s = cfg.settings;
    const pre = precheckResponse(samlResponse, { acsUrl: urls.samlAcsUrl, idpEntityId: s.idpEntityId });
    try {
      if (!pre.inResponseTo && !s.allowIdpInitiated) throw new SsoLoginFailure('unsolicited_response');
      if (await this.state.assertionSeen(cfg.orgId, pre.assertionId)) throw new SsoLoginFailure('replayed_assertion');
      const ctx = this.context(cfg, urls);
      const result = await this.runner.validate(ctx, samlResponse);
      if ('error' in result) throw samlFailure(result.error);
      if (pre.responseSigned && !responseSignatureValid(pre.xml, s.idpCerts))
        throw new SsoLoginFailure('invalid_signature', 'response signature');
      const verifiedXml = result.profile.getAssertionXml?.();
      if (!verifiedXml) throw new SsoLoginFailure('invalid_signature', 'no verified assertion');
      const checked = checkAssertion(verifiedXml, {
        spEntityId: urls.samlEntityId,
        acsUrl: urls.samlAcsUrl,
        idpEntityId: s.idpEntityId,
        inResponseTo: pre.inResponseTo,
        nowMs: Date.now(),
        skewMs: s.clockSkewSeconds * 1000,
        maxAgeMs: s.maxAssertionAgeSeconds * 1000,
      });
      const returnTo = await this.consumeRequest(ctx, pre.inResponseTo, relayState, binding);
      if (!(await this.state.markAssertionSeen(cfg.orgId, checked.id, checked.replayUntil)))
        throw new SsoLoginFailure('replayed_assertion');
      return { identity: this.toIdentity(s, checked), returnTo };
    } catch (err) {
      // A refused response burns the request it answered: the id cannot be retried with another message.
      if (pre.inResponseTo) await this.state.takeSamlRequest(cfg.orgId, pre.inResponseTo).catch(() => null);
      throw err;
    }
  }

  /**
   * Single use of our request id, atomically (the library's own lookup is not), and only by the browser that
   * started the login (login CSRF: someone else's valid response posted from the victim's browser). IdP-initiated
   * sign-ins have neither.
   */
  private async consumeRequest(
    ctx: SamlOrgContext,
    inResponseTo: string | null,
    relayState: string | undefined,
    binding: string | undefined,
  ): Promise<string> {
    if (!inResponseTo) return relayState && isSafeReturnTo(relayState) ? relayState : '/';
    const taken =
      ctx.cache.taken?.id === inResponseTo
        ? ctx.cache.taken.record
        : await this.state.takeSamlRequest(ctx.orgId, inResponseTo);
    if (!taken) throw new SsoLoginFailure('unknown_request', 'request id already used');
    if (!bindingMatches(binding, taken.bindingHash))
      throw new SsoLoginFailure('browser_mismatch', 'login started in another browser');
    return taken.returnTo;
  }

  private toIdentity(s: SamlSettings, a: CheckedAssertion): VerifiedIdentity {
    const first = (names: string[]): string | null => {
      for (const n of names) {
        const v = a.attributes.get(n)?.find((x) => x.trim().length > 0 && x.length <= 1024);
        if (v) return v.trim();
      }
      return null;
    };
    const email =
      first(s.emailAttribute ? [s.emailAttribute] : EMAIL_ATTRIBUTES) ??
      (a.nameIdFormat === EMAIL_FORMAT ? a.nameId.trim() : null);
    return {
      provider: 'saml',
      issuer: s.idpEntityId,
      subject: a.nameId,
      email,
      // SAML has no standard "verified" flag: the org vouches for its IdP's addresses by enabling linkByEmail.
      emailVerified: email !== null,
      displayName: first(s.displayNameAttribute ? [s.displayNameAttribute] : NAME_ATTRIBUTES),
      groups: (a.attributes.get(s.groupsAttribute) ?? []).filter((g) => g.length > 0 && g.length <= 512),
    };
  }
}
