import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DavError } from './errors';

/**
 * Raw DAV XML → plain objects. Element names lose their namespace prefix: the properties we read
 * (RFC 4918, 4791, 6352, 6578, calendarserver getctag, WebDAV-Push) have distinct local names, and
 * servers bind those namespaces to any prefix they like, including none.
 */
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Sync tokens, ctags and ETags are opaque strings: "0123" must not become 123.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only the five predefined entities and character references: a DOCTYPE never reaches here.
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});
const ARRAY_ELEMENTS = new Set(['response', 'propstat', 'href', 'comp', 'transport']);

/** A parsed XML element: text, attributes (`@_name`) and children by local name. */
export type XmlNode = Record<string, unknown>;

/**
 * Parses a DAV XML body. A DOCTYPE or ENTITY declaration is refused before any parsing, which
 * rules out entity expansion ("billion laughs") and external entities (RFC 4918 §20.6 asks
 * servers the same of clients). Bodies that are not well-formed are refused too: a truncated
 * multistatus must never read as "nothing changed".
 */
export function parseXml(text: string, context: { url?: string } = {}): XmlNode {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new DavError(
      'DAV_ERR_XML_HOSTILE',
      'Server sent XML with a DOCTYPE or ENTITY declaration; refused',
      context,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new DavError(
      'DAV_ERR_XML_MALFORMED',
      `Server sent malformed XML: ${valid.err.msg} (line ${valid.err.line})`,
      context,
    );
  }
  return parser.parse(text) as XmlNode;
}

/** One `DAV:propstat` of a response (RFC 4918 §14.22). */
export interface PropStat {
  status: number;
  prop: XmlNode;
}

/** One `DAV:response` of a multistatus (RFC 4918 §14.24). */
export interface MultistatusResponse {
  href: string;
  /** Response-level status: RFC 6578 §3.5.2 reports removed members as 404 here. */
  status?: number;
  propstats: PropStat[];
}

export interface Multistatus {
  responses: MultistatusResponse[];
  /** RFC 6578 §6.4: the new token at the end of a sync-collection report. */
  syncToken?: string;
}

/** Parses a 207 body into responses; anything that is not a DAV:multistatus is an error. */
export function parseMultistatus(text: string, context: { url?: string } = {}): Multistatus {
  const doc = parseXml(text, context);
  const root = doc.multistatus;
  // `<multistatus/>` parses as '' — an empty but valid answer.
  if (root === '') return { responses: [] };
  if (root === undefined || typeof root !== 'object' || root === null) {
    throw new DavError('DAV_ERR_BAD_MULTISTATUS', 'Expected a DAV:multistatus document', context);
  }
  const ms = root as XmlNode;
  const responses = asArray(ms.response).map((r) => parseResponse(r, context));
  const token = ms['sync-token'];
  return typeof token === 'string' && token !== '' ? { responses, syncToken: token } : { responses };
}

function parseResponse(raw: unknown, context: { url?: string }): MultistatusResponse {
  if (typeof raw !== 'object' || raw === null) {
    throw new DavError('DAV_ERR_BAD_MULTISTATUS', 'DAV:response without content', context);
  }
  const r = raw as XmlNode;
  const href = asArray(r.href)[0];
  if (typeof href !== 'string' || href === '') {
    throw new DavError('DAV_ERR_BAD_MULTISTATUS', 'DAV:response without DAV:href', context);
  }
  const propstats = asArray(r.propstat).map((p) => {
    const ps = (typeof p === 'object' && p !== null ? p : {}) as XmlNode;
    const prop = typeof ps.prop === 'object' && ps.prop !== null ? (ps.prop as XmlNode) : {};
    return { status: parseStatusLine(ps.status) ?? 200, prop };
  });
  const status = parseStatusLine(r.status);
  return status === undefined ? { href, propstats } : { href, status, propstats };
}

/** "HTTP/1.1 404 Not Found" → 404 (RFC 4918 §14.28). */
export function parseStatusLine(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/** The properties a response returned with 2xx, merged. */
export function okProps(response: MultistatusResponse): XmlNode {
  const out: XmlNode = {};
  for (const ps of response.propstats) {
    if (ps.status >= 200 && ps.status < 300) Object.assign(out, ps.prop);
  }
  return out;
}

/** Text content of a property, or undefined when absent or empty. */
export function text(node: unknown): string | undefined {
  if (typeof node === 'string') return node === '' ? undefined : node;
  if (typeof node === 'object' && node !== null && '#text' in node) return text((node as XmlNode)['#text']);
  return undefined;
}

/** The `DAV:href` values inside a property such as calendar-home-set (RFC 4791 §6.2.1). */
export function hrefsOf(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return asArray((node as XmlNode).href).filter((h): h is string => typeof h === 'string' && h !== '');
}

/** Names of the child elements of a property such as resourcetype. */
export function childNames(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}

export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Escapes text for an XML request body. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
