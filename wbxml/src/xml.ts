/**
 * The XML bridge, for logs, fixtures and people. Namespaces follow the EAS convention that
 * libwbxml's ACTIVESYNC language also uses: the code page name with a trailing colon, the root's
 * page as the default namespace (`xmlns="AirSync:"`) and every other page used in the document
 * declared on the root with its lowercased name as prefix (`xmlns:email="Email:"`).
 *
 * OPAQUE content is written as base64 in an element marked `opaque="base64"` (EAS has no
 * attributes, so the marker cannot clash with real content). Parsing uses fast-xml-parser;
 * a DOCTYPE with an internal subset or any entity declaration is refused before parsing.
 */
import { Buffer } from 'node:buffer';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CODE_PAGES, pageTokens } from './codepage-index';
import { createError, type WbxmlErrorCode } from './errors';
import type { WbxmlElement, WbxmlNode } from './tree';

/** toXml options. */
export interface ToXmlOptions {
  /** Indent element-only content by two spaces per level (text content is never touched). Default false. */
  readonly pretty?: boolean;
  /** Prepend `<?xml version="1.0" encoding="utf-8"?>`. Default true. */
  readonly declaration?: boolean;
}

/** fromXml options. */
export interface FromXmlOptions {
  /**
   * Also accept libwbxml 0.11.8's spellings (`Recurrence_Type`, `Reply-To`, namespace `Gal:`, …)
   * as written by `wbxml2xml -l ACTIVESYNC`; the tree always carries the canonical names.
   */
  readonly libwbxmlNames?: boolean;
}

/** The attribute that marks base64 OPAQUE content. */
export const OPAQUE_ATTRIBUTE = 'opaque';

/** Renders a tree as XML with the EAS namespace convention. */
export function toXml(root: WbxmlElement, options?: ToXmlOptions): string {
  const pretty = options?.pretty ?? false;
  const prefixes = new Map<string, string>([[root.ns, '']]);
  collectNamespaces(root, prefixes, 0);
  const decls: string[] = [];
  for (const [ns, prefix] of prefixes) {
    decls.push(prefix === '' ? ` xmlns="${escapeXml(ns)}:"` : ` xmlns:${prefix}="${escapeXml(ns)}:"`);
  }
  const out: string[] = [];
  if (options?.declaration ?? true) out.push('<?xml version="1.0" encoding="utf-8"?>', pretty ? '\n' : '');
  writeElement(root, prefixes, decls.join(''), pretty ? 0 : -1, out, []);
  if (pretty) out.push('\n');
  return out.join('');
}

function collectNamespaces(el: WbxmlElement, prefixes: Map<string, string>, depth: number): void {
  if (depth > 1024) throw createError('WBXML_ERR_DEPTH_EXCEEDED', 'tree nesting deeper than 1024', -1);
  if (!prefixes.has(el.ns)) prefixes.set(el.ns, el.ns.toLowerCase());
  for (const c of el.children) {
    if (typeof c === 'object' && c !== null && !(c instanceof Uint8Array))
      collectNamespaces(c, prefixes, depth + 1);
  }
}

function writeElement(
  el: WbxmlElement,
  prefixes: Map<string, string>,
  decls: string,
  indent: number,
  out: string[],
  path: string[],
): void {
  path.push(el.tag);
  const prefix = prefixes.get(el.ns)!;
  const name = prefix === '' ? el.tag : `${prefix}:${el.tag}`;
  const kids = el.children.filter((c) => typeof c !== 'string' || c.length > 0);
  if (kids.length === 0) {
    out.push(`<${name}${decls}/>`);
    path.pop();
    return;
  }
  const hasOpaque = kids.some((c) => c instanceof Uint8Array);
  if (hasOpaque) {
    if (kids.length !== 1) {
      throw createError(
        'WBXML_ERR_XML_UNREPRESENTABLE',
        'OPAQUE mixed with other content has no XML form',
        -1,
        {
          path: path.join('/'),
        },
      );
    }
    const b = kids[0] as Uint8Array;
    const b64 = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    out.push(`<${name}${decls} ${OPAQUE_ATTRIBUTE}="base64">${b64}</${name}>`);
    path.pop();
    return;
  }
  const elementOnly = kids.every((c) => typeof c !== 'string');
  out.push(`<${name}${decls}>`);
  for (const c of kids) {
    if (typeof c === 'string') {
      out.push(escapeXml(c));
    } else if (c instanceof Uint8Array) {
      // unreachable: handled above
    } else if (typeof c === 'object' && c !== null) {
      if (indent >= 0 && elementOnly) out.push('\n', '  '.repeat(indent + 1));
      writeElement(c, prefixes, '', indent >= 0 && elementOnly ? indent + 1 : -1, out, path);
    } else {
      throw createError(
        'WBXML_ERR_INVALID_TREE',
        'child is neither an element, a string nor a Uint8Array',
        -1,
        {
          path: path.join('/'),
        },
      );
    }
  }
  if (indent >= 0 && elementOnly) out.push('\n', '  '.repeat(indent));
  out.push(`</${name}>`);
  path.pop();
}

/**
 * Escapes text for element content and attribute values. CR and the C0 controls XML 1.0 allows
 * only as references are written as numeric references so they survive a parse (XML 2.11
 * normalises CR LF to LF).
 */
function escapeXml(s: string): string {
  return s.replace(/[&<>"\r\u0001-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return `&#x${c.charCodeAt(0).toString(16)};`;
    }
  });
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Entities are resolved by decodeEntities below, strictly: no DOCTYPE-declared entity ever expands.
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
});

type FxpNode = Record<string, unknown>;

/** Parses XML in the EAS namespace convention into a tree. */
export function fromXml(xml: string, options?: FromXmlOptions): WbxmlElement {
  refuseHostile(xml);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw createError(
      'WBXML_ERR_XML_SYNTAX',
      `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
      -1,
    );
  }
  const nodes = parser.parse(xml) as FxpNode[];
  const roots = nodes.filter((n) => !('#text' in n && String(n['#text']).trim() === '') && !('#cdata' in n));
  if (roots.length !== 1 || '#text' in roots[0]!) {
    throw createError('WBXML_ERR_XML_SYNTAX', 'XML must have exactly one root element', -1);
  }
  return new XmlReader(options?.libwbxmlNames ?? false).element(roots[0]!, new Map(), []);
}

function refuseHostile(xml: string): void {
  const doctype = /<!DOCTYPE/i.exec(xml);
  if (doctype) {
    const close = xml.indexOf('>', doctype.index);
    const body = xml.slice(doctype.index, close < 0 ? xml.length : close + 1);
    if (body.includes('[')) {
      fail(
        'WBXML_ERR_XML_HOSTILE',
        'DOCTYPE with an internal subset is refused (entity expansion)',
        doctype.index,
      );
    }
  }
  const entity = /<!ENTITY/i.exec(xml);
  if (entity)
    fail('WBXML_ERR_XML_HOSTILE', 'entity declarations are refused (entity expansion)', entity.index);
}

function fail(code: WbxmlErrorCode, detail: string, offset: number, path?: string[]): never {
  throw createError(code, detail, offset, path ? { path: path.join('/') } : undefined);
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML 1.0 §4.6 predefined entities and character references; anything else is an error. */
function decodeEntities(s: string, path: string[]): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]*);?/g, (m, name: string) => {
    if (!m.endsWith(';')) fail('WBXML_ERR_XML_SYNTAX', `"&" not part of an entity reference: ${m}`, -1, path);
    const pre = PREDEFINED[name];
    if (pre !== undefined) return pre;
    const num = /^#x([0-9a-fA-F]{1,6})$/.exec(name) ?? /^#([0-9]{1,7})$/.exec(name);
    if (num) {
      const cp = Number.parseInt(num[1]!, name[1] === 'x' ? 16 : 10);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
    }
    return fail('WBXML_ERR_XML_SYNTAX', `unknown or invalid entity ${m}`, -1, path);
  });
}

/** libwbxml spelling → canonical, per namespace. */
function libwbxmlAliases(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const p of CODE_PAGES) {
    const m = new Map<string, string>();
    for (const t of p.tags) if (t.libwbxmlName) m.set(t.libwbxmlName, t.name);
    out.set(p.namespace, m);
  }
  // libwbxml has two names for Provision 0x10 and decodes it as this one (eas-codepages.md §A).
  out.get('Provision')?.set('DeviceEncryptionEnabled', 'RequireStorageCardEncryption');
  return out;
}

class XmlReader {
  readonly #aliases: Map<string, Map<string, string>> | undefined;

  constructor(libwbxmlNames: boolean) {
    this.#aliases = libwbxmlNames ? libwbxmlAliases() : undefined;
  }

  element(node: FxpNode, scope: ReadonlyMap<string, string>, path: string[]): WbxmlElement {
    const qname = Object.keys(node).find((k) => k !== ':@')!;
    const attrs = (node[':@'] ?? {}) as Record<string, string>;
    let local = qname;
    let prefix = '';
    const colon = qname.indexOf(':');
    if (colon >= 0) {
      prefix = qname.slice(0, colon);
      local = qname.slice(colon + 1);
    }
    path.push(local);
    let innerScope = scope;
    let opaque = false;
    for (const [k, raw] of Object.entries(attrs)) {
      const v = decodeEntities(raw, path);
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (innerScope === scope) innerScope = new Map(scope);
        (innerScope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), this.#namespace(v, path));
      } else if (k === OPAQUE_ATTRIBUTE && v === 'base64') {
        opaque = true;
      } else {
        fail('WBXML_ERR_ATTRIBUTES_UNSUPPORTED', `attribute "${k}" (EAS defines none)`, -1, path);
      }
    }
    const ns = innerScope.get(prefix);
    if (ns === undefined) {
      fail(
        'WBXML_ERR_UNKNOWN_NAMESPACE',
        prefix === '' ? `<${qname}> has no namespace` : `prefix "${prefix}" is not declared`,
        -1,
        path,
      );
    }
    const tag = this.#aliases?.get(ns)?.get(local) ?? local;
    if (!pageTokens(ns)!.tokens.has(tag)) {
      fail('WBXML_ERR_UNKNOWN_TAG', `tag "${local}" is not defined on code page ${ns}`, -1, path);
    }
    const children: WbxmlNode[] = [];
    const raw = (node[qname] ?? []) as FxpNode[];
    let text = '';
    let sawElement = false;
    for (const c of raw) {
      if ('#text' in c) text += decodeEntities(String(c['#text']), path);
      else if ('#cdata' in c) text += cdataText(c['#cdata']);
      else {
        // Text between child elements is layout (pretty printing), except where it is not whitespace.
        if (text.trim() !== '') children.push(text);
        text = '';
        sawElement = true;
        children.push(this.element(c, innerScope, path));
      }
    }
    if (text !== '' && (!sawElement || text.trim() !== '')) children.push(text);
    path.pop();
    if (opaque) {
      if (sawElement)
        fail('WBXML_ERR_XML_SYNTAX', 'an opaque="base64" element cannot have child elements', -1, path);
      return { ns, tag, children: [decodeBase64(text, [...path, local])] };
    }
    return { ns, tag, children };
  }

  #namespace(uri: string, path: string[]): string {
    let name = uri.endsWith(':') ? uri.slice(0, -1) : uri;
    // libwbxml's ACTIVESYNC language spells page 16 "Gal:" (libwbxml-coverage.md).
    if (name === 'Gal') name = 'GAL';
    if (pageTokens(name) === undefined) {
      fail('WBXML_ERR_UNKNOWN_NAMESPACE', `namespace "${uri}" is no EAS code page`, -1, path);
    }
    return name;
  }
}

function cdataText(c: unknown): string {
  if (Array.isArray(c)) return c.map((x) => String((x as FxpNode)['#text'] ?? '')).join('');
  return String(c);
}

function decodeBase64(text: string, path: string[]): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    fail('WBXML_ERR_XML_SYNTAX', 'opaque content is not valid base64', -1, path);
  }
  const buf = Buffer.from(compact, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}
