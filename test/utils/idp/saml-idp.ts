import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { selfSignedCert, type TestKeyPair } from './x509.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

export interface SamlUser {
  nameId: string;
  nameIdFormat?: string;
  email?: string;
  displayName?: string;
  groups?: string[];
}

/** Everything a response can vary, for the refusal cases. Defaults produce a valid SP-initiated response. */
export interface ResponseOptions {
  user: SamlUser;
  acsUrl: string;
  audience: string;
  inResponseTo?: string | null;
  destination?: string;
  recipient?: string;
  issuer?: string;
  assertionIssuer?: string;
  issueInstant?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Sign with this key instead of the IdP's configured one. */
  signingKey?: TestKeyPair;
  sha1?: boolean;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const id = (): string => `_${randomBytes(16).toString('hex')}`;

/**
 * A SAML 2.0 identity provider for tests that signs with real RSA keys (xml-crypto): it answers SP-initiated
 * HTTP-Redirect AuthnRequests with an auto-submitting HTTP-POST form, and builds arbitrary responses for the
 * refusal cases.
 */
export class TestSamlIdp {
  readonly keys = selfSignedCert({ cn: 'Test SAML IdP' });
  readonly entityId: string;
  /** Who signs in at the next AuthnRequest. */
  nextUser: SamlUser = { nameId: 'user-1', email: 'user1@example.test' };
  /** ACS URLs this IdP will post to (like a real IdP's SP registrations). */
  readonly registeredAcs = new Set<string>();
  private server?: Server;
  ssoUrl = '';

  constructor(name = 'idp') {
    this.entityId = `https://${name}.idp.test/metadata`;
  }

  /** `host`: the name in the SSO URL ("localhost" makes the IdP another site than the app at 127.0.0.1). */
  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/sso') return void res.writeHead(404).end();
      try {
        const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString(
          'utf8',
        );
        const requestId = /\bID="([^"]+)"/.exec(request)?.[1];
        const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(request)?.[1]?.replace(/&amp;/g, '&');
        const audience = /<saml:Issuer[^>]*>([^<]+)</.exec(request)?.[1];
        if (!requestId || !acs || !audience || !this.registeredAcs.has(acs))
          return void res.writeHead(400).end('unknown SP');
        const xml = this.response({ user: this.nextUser, acsUrl: acs, audience, inResponseTo: requestId });
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(this.postForm(acs, xml, url.searchParams.get('RelayState')));
      } catch {
        res.writeHead(400).end('bad request');
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.ssoUrl = `http://${host}:${(this.server.address() as AddressInfo).port}/sso`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The HTTP-POST binding page a browser submits to the SP. */
  postForm(acs: string, xml: string, relayState?: string | null): string {
    const relay = relayState ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : '';
    return (
      `<!doctype html><html><body><form method="post" action="${esc(acs)}">` +
      `<input type="hidden" name="SAMLResponse" value="${Buffer.from(xml).toString('base64')}">${relay}` +
      `<noscript><button type="submit">Continue</button></noscript></form>` +
      `<script>document.forms[0].submit()</script></body></html>`
    );
  }

  /** A response as XML text (base64-encode it for the SAMLResponse field). */
  response(o: ResponseOptions): string {
    const now = o.issueInstant ?? new Date();
    const notOnOrAfter = o.notOnOrAfter ?? new Date(Date.now() + 5 * 60_000);
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const u = o.user;
    const attrs = [
      u.email ? attr('email', [u.email]) : '',
      u.displayName ? attr('displayName', [u.displayName]) : '',
      u.groups?.length ? attr('groups', u.groups) : '',
    ].join('');
    const assertion =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId ?? id()}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${esc(o.assertionIssuer ?? this.entityId)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${u.nameIdFormat ?? PERSISTENT}">${esc(u.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(o.notBefore ?? new Date(now.getTime() - 30_000))}" NotOnOrAfter="${iso(notOnOrAfter)}">` +
      `<saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${id()}"><saml:AuthnContext>` +
      `<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>` +
      `</saml:AuthnContext></saml:AuthnStatement>` +
      (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    let xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${esc(o.destination ?? o.acsUrl)}"${irt}>` +
      `<saml:Issuer>${esc(o.issuer ?? this.entityId)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    const key = o.signingKey ?? this.keys;
    if (o.signAssertion !== false) xml = this.sign(xml, 'Assertion', key, o.sha1);
    if (o.signResponse) xml = this.sign(xml, 'Response', key, o.sha1);
    return xml;
  }

  private sign(xml: string, element: 'Assertion' | 'Response', key: TestKeyPair, sha1 = false): string {
    const sig = new SignedXml({
      privateKey: key.privateKeyPem,
      publicCert: key.certPem,
      signatureAlgorithm: sha1 ? RSA_SHA1 : RSA_SHA256,
      canonicalizationAlgorithm: EXC_C14N,
    });
    const target = `//*[local-name(.)='${element}']`;
    sig.addReference({ xpath: target, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: sha1 ? SHA1 : SHA256 });
    sig.computeSignature(xml, { location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  }
}

function attr(name: string, values: string[]): string {
  return `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
}
