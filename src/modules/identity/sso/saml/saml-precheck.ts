import { SsoLoginFailure } from '../sso.exception.js';
import {
  ALLOWED_DIGEST_ALGORITHMS,
  ALLOWED_SIGNATURE_ALGORITHMS,
  NS,
  allElements,
  childElements,
  firstChild,
  hasDoctype,
  parseXml,
  text,
} from './saml-xml.js';

export interface PrecheckedResponse {
  xml: string;
  inResponseTo: string | null;
  /** ID of the (single) assertion, unverified: used only to refuse known replays early. */
  assertionId: string;
  /** The Response element carries its own signature (verified separately after the library). */
  responseSigned: boolean;
}

const BASE64_RE = /^[A-Za-z0-9+/=\r\n]+$/;

/**
 * Checks that run before any signature check, on the raw message: no DTD, well-formed, exactly one Response with
 * exactly one plain Assertion that carries a signature, only SHA-256/512 algorithms anywhere, a successful
 * status, and the envelope's Destination and Issuer are this org's. Throws {@link SsoLoginFailure}.
 */
export function precheckResponse(
  samlResponse: string,
  expect: { acsUrl: string; idpEntityId: string },
): PrecheckedResponse {
  if (!BASE64_RE.test(samlResponse)) throw new SsoLoginFailure('malformed_response', 'SAMLResponse is not base64');
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (hasDoctype(xml)) throw new SsoLoginFailure('doctype_forbidden');
  let root;
  try {
    root = parseXml(xml).documentElement;
  } catch {
    throw new SsoLoginFailure('malformed_response', 'not well-formed XML');
  }
  if (!root || root.namespaceURI !== NS.samlp || root.localName !== 'Response')
    throw new SsoLoginFailure('malformed_response', 'root is not samlp:Response');
  const doc = root.ownerDocument!;
  if (allElements(doc, NS.samlp, 'Response').length !== 1)
    throw new SsoLoginFailure('malformed_response', 'nested Response');
  if (allElements(doc, NS.saml, 'EncryptedAssertion').length > 0)
    throw new SsoLoginFailure('encrypted_assertion_unsupported');
  // One assertion in the whole document, as a direct child: no copies hidden elsewhere (signature wrapping).
  const assertions = childElements(root, NS.saml, 'Assertion');
  if (assertions.length !== 1 || allElements(doc, NS.saml, 'Assertion').length !== 1)
    throw new SsoLoginFailure('malformed_response', 'not exactly one assertion');
  for (const m of allElements(doc, NS.ds, 'SignatureMethod')) {
    if (!ALLOWED_SIGNATURE_ALGORITHMS.has(m.getAttribute('Algorithm') ?? ''))
      throw new SsoLoginFailure('weak_algorithm', `signature ${m.getAttribute('Algorithm')}`);
  }
  for (const m of allElements(doc, NS.ds, 'DigestMethod')) {
    if (!ALLOWED_DIGEST_ALGORITHMS.has(m.getAttribute('Algorithm') ?? ''))
      throw new SsoLoginFailure('weak_algorithm', `digest ${m.getAttribute('Algorithm')}`);
  }
  const assertion = assertions[0];
  if (childElements(assertion, NS.ds, 'Signature').length !== 1) throw new SsoLoginFailure('unsigned_assertion');
  const statusCode = firstChild(firstChild(root, NS.samlp, 'Status') ?? root, NS.samlp, 'StatusCode');
  if (statusCode?.getAttribute('Value') !== 'urn:oasis:names:tc:SAML:2.0:status:Success')
    throw new SsoLoginFailure('idp_error', 'status is not Success');
  if (root.getAttribute('Destination') !== expect.acsUrl) throw new SsoLoginFailure('destination_mismatch');
  const issuers = childElements(root, NS.saml, 'Issuer');
  if (issuers.length > 1 || (issuers.length === 1 && text(issuers[0]) !== expect.idpEntityId))
    throw new SsoLoginFailure('issuer_mismatch', 'response issuer');
  const assertionId = assertion.getAttribute('ID') ?? '';
  if (!assertionId || assertionId.length > 256) throw new SsoLoginFailure('malformed_response', 'assertion without ID');
  const irt = root.getAttribute('InResponseTo');
  return {
    xml,
    inResponseTo: irt ? irt : null,
    assertionId,
    responseSigned: childElements(root, NS.ds, 'Signature').length > 0,
  };
}
