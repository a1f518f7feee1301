import { SignedXml } from 'xml-crypto';
import { NS, childElements, parseXml } from './saml-xml.js';

/**
 * Verifies the optional signature on the Response element itself. The library accepts an assertion-only signature
 * and silently ignores a response signature that fails; we refuse a present-but-broken one (a modified envelope).
 */
export function responseSignatureValid(xml: string, certs: string[]): boolean {
  const normalized = xml.replace(/\r\n?/g, '\n');
  const root = parseXml(normalized).documentElement;
  if (!root) return false;
  const signatures = childElements(root, NS.ds, 'Signature');
  const id = root.getAttribute('ID');
  if (signatures.length !== 1 || !id || /['"]/.test(id)) return false;
  const sameId = Array.from(root.ownerDocument!.getElementsByTagName('*')).filter((el) => el.getAttribute('ID') === id);
  if (sameId.length !== 1) return false;
  for (const cert of certs) {
    const sig = new SignedXml({ publicCert: cert });
    sig.loadSignature(signatures[0].toString());
    const refs = sig.getReferences();
    if (refs.length !== 1 || refs[0].uri !== `#${id}`) return false;
    try {
      if (sig.checkSignature(normalized)) return true;
    } catch {
      // try the next configured certificate
    }
  }
  return false;
}
