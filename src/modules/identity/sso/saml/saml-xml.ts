import { DOMParser, onErrorStopParsing, type Document, type Element } from '@xmldom/xmldom';

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** Signature and digest algorithms we verify. SHA-1 (and anything unknown) is refused before any check runs. */
export const ALLOWED_SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
export const ALLOWED_DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** True for documents that declare a DTD or entities: refused outright (XXE, entity expansion). */
export function hasDoctype(xml: string): boolean {
  return /<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml);
}

/** Parses strictly: any well-formedness error throws. Callers check {@link hasDoctype} first. */
export function parseXml(xml: string): Document {
  return new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, 'text/xml');
}

export function childElements(parent: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === localName)
      out.push(n as Element);
  }
  return out;
}

export function firstChild(parent: Element, ns: string, localName: string): Element | undefined {
  return childElements(parent, ns, localName)[0];
}

export const text = (el: Element | undefined): string => (el?.textContent ?? '').trim();

export function allElements(doc: Document | Element, ns: string, localName: string): Element[] {
  return Array.from(doc.getElementsByTagNameNS(ns, localName));
}
