import type { Element } from '@xmldom/xmldom';
import { SsoLoginFailure } from '../sso.exception.js';
import { NS, allElements, childElements, firstChild, hasDoctype, parseXml, text } from './saml-xml.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

export interface AssertionExpectations {
  spEntityId: string;
  acsUrl: string;
  idpEntityId: string;
  /** The Response's InResponseTo (null: IdP-initiated). */
  inResponseTo: string | null;
  nowMs: number;
  skewMs: number;
  maxAgeMs: number;
}

export interface CheckedAssertion {
  id: string;
  nameId: string;
  nameIdFormat: string | null;
  attributes: Map<string, string[]>;
  /** Until when a replay of this assertion must stay refused. */
  replayUntil: Date;
}

function instant(value: string | null, what: string): number {
  const ms = value ? Date.parse(value) : NaN;
  if (!value || Number.isNaN(ms)) throw new SsoLoginFailure('malformed_response', `bad ${what}`);
  return ms;
}

/**
 * Our own checks on the assertion the library verified (its signed bytes, never the unsigned envelope): the
 * library leaves Issuer, Recipient and the bearer method unchecked for login, and is lenient on time bounds.
 */
export function checkAssertion(verifiedXml: string, e: AssertionExpectations): CheckedAssertion {
  if (hasDoctype(verifiedXml)) throw new SsoLoginFailure('doctype_forbidden');
  const a = parseXml(verifiedXml).documentElement;
  if (!a || a.namespaceURI !== NS.saml || a.localName !== 'Assertion')
    throw new SsoLoginFailure('malformed_response', 'verified node is not an Assertion');
  if (text(firstChild(a, NS.saml, 'Issuer')) !== e.idpEntityId)
    throw new SsoLoginFailure('issuer_mismatch', 'assertion issuer');

  const issued = instant(a.getAttribute('IssueInstant'), 'IssueInstant');
  if (issued > e.nowMs + e.skewMs) throw new SsoLoginFailure('assertion_not_yet_valid', 'issued in the future');
  if (issued + e.maxAgeMs < e.nowMs - e.skewMs)
    throw new SsoLoginFailure('assertion_expired', 'older than the maximum age');

  const conditions = childElements(a, NS.saml, 'Conditions');
  if (conditions.length !== 1) throw new SsoLoginFailure('malformed_response', 'not exactly one Conditions');
  const notBefore = conditions[0].getAttribute('NotBefore');
  if (notBefore && instant(notBefore, 'NotBefore') > e.nowMs + e.skewMs)
    throw new SsoLoginFailure('assertion_not_yet_valid');
  const notOnOrAfter = instant(conditions[0].getAttribute('NotOnOrAfter'), 'Conditions NotOnOrAfter');
  if (notOnOrAfter <= e.nowMs - e.skewMs) throw new SsoLoginFailure('assertion_expired');
  checkAudience(conditions[0], e.spEntityId);

  const subject = firstChild(a, NS.saml, 'Subject');
  const nameIdEl = subject && firstChild(subject, NS.saml, 'NameID');
  const nameId = nameIdEl?.textContent ?? '';
  if (!nameId.trim() || nameId.length > 1024) throw new SsoLoginFailure('missing_subject');
  const nameIdFormat = nameIdEl?.getAttribute('Format') || null;
  // A transient NameID changes at every sign-in: it can never identify the same account twice.
  if (nameIdFormat === TRANSIENT) throw new SsoLoginFailure('transient_name_id');
  const confirmationUntil = checkSubjectConfirmation(subject!, e);

  return {
    id: a.getAttribute('ID') ?? '',
    nameId,
    nameIdFormat,
    attributes: readAttributes(a),
    replayUntil: new Date(Math.max(notOnOrAfter, confirmationUntil, issued + e.maxAgeMs) + e.skewMs),
  };
}

function checkAudience(conditions: Element, spEntityId: string): void {
  const restrictions = childElements(conditions, NS.saml, 'AudienceRestriction');
  if (restrictions.length === 0) throw new SsoLoginFailure('audience_mismatch', 'no AudienceRestriction');
  for (const r of restrictions) {
    if (!childElements(r, NS.saml, 'Audience').some((aud) => text(aud) === spEntityId))
      throw new SsoLoginFailure('audience_mismatch');
  }
}

/** A bearer confirmation for our ACS, still valid, answering our request (or none, for IdP-initiated). */
function checkSubjectConfirmation(subject: Element, e: AssertionExpectations): number {
  const bearer = childElements(subject, NS.saml, 'SubjectConfirmation').filter(
    (c) => c.getAttribute('Method') === BEARER,
  );
  if (bearer.length === 0) throw new SsoLoginFailure('recipient_mismatch', 'no bearer confirmation');
  const data = bearer.map((c) => firstChild(c, NS.saml, 'SubjectConfirmationData')).filter((d): d is Element => !!d);
  const forUs = data.filter((d) => d.getAttribute('Recipient') === e.acsUrl);
  if (forUs.length === 0) throw new SsoLoginFailure('recipient_mismatch');
  const d = forUs[0];
  const until = instant(d.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (until <= e.nowMs - e.skewMs) throw new SsoLoginFailure('assertion_expired', 'confirmation expired');
  const nb = d.getAttribute('NotBefore');
  if (nb && instant(nb, 'SubjectConfirmationData NotBefore') > e.nowMs + e.skewMs)
    throw new SsoLoginFailure('assertion_not_yet_valid');
  const irt = d.getAttribute('InResponseTo') || null;
  if (irt !== e.inResponseTo)
    throw new SsoLoginFailure(
      e.inResponseTo ? 'unknown_request' : 'unsolicited_response',
      'confirmation InResponseTo differs',
    );
  return until;
}

function readAttributes(a: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const stmt of childElements(a, NS.saml, 'AttributeStatement')) {
    for (const attr of childElements(stmt, NS.saml, 'Attribute')) {
      const name = attr.getAttribute('Name');
      if (!name) continue;
      const values = allElements(attr, NS.saml, 'AttributeValue').map((v) => v.textContent ?? '');
      out.set(name, [...(out.get(name) ?? []), ...values]);
    }
  }
  return out;
}
