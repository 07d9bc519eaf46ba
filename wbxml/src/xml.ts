/**
 * The XML bridge, for logs, fixtures and people. Namespaces follow the EAS convention that
 * libwbxml's ACTIVESYNC language also uses: the code page name with a trailing colon, the root's
 * page as the default namespace (`xmlns="AirSync:"`) and every other page used in the document
 * declared on the root with its lowercased name as prefix (`xmlns:email="Email:"`).
 *
 * OPAQUE content is written as base64 in an element marked `opaque="base64"` (EAS has no
 * attributes, so the marker cannot clash with real content). Parsing is a small XML 1.0 reader
 * of its own (the subset a WBXML document can come from: elements, namespace declarations, text,
 * references, CDATA, comments, PIs, a bare DOCTYPE): one linear pass with an explicit stack, so
 * nesting, names and characters are checked here and every failure is a typed WbxmlError; a
 * DOCTYPE with an internal subset or any entity declaration is refused before parsing.
 */
import { Buffer } from 'node:buffer';
import { CODE_PAGES, pageTokens } from './codepage-index';
import { createError, elementPath, type WbxmlErrorCode } from './errors';
import { isElement, type WbxmlElement, type WbxmlNode, WbxmlText } from './tree';

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
  /** Deepest element nesting accepted (the root is depth 1). Default 256, the encoder's cap. */
  readonly maxDepth?: number;
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
    if (isElement(c)) collectNamespaces(c, prefixes, depth + 1);
  }
}

/** Indentation strings by level, made once. */
const INDENTS: string[] = [''];
function indentOf(level: number): string {
  while (INDENTS.length <= level) INDENTS.push(`${INDENTS[INDENTS.length - 1]}  `);
  return INDENTS[level]!;
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
  const children = el.children;
  // One pass over the children (no filtered copies): empty strings are no content.
  let count = 0;
  let opaque: Uint8Array | undefined;
  let elementOnly = true;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') {
      if (c.length === 0) continue;
      elementOnly = false;
    } else if (c instanceof WbxmlText) {
      if (c.byteLength === 0) continue;
      elementOnly = false;
    } else if (c instanceof Uint8Array) {
      opaque = c;
    }
    count++;
  }
  if (count === 0) {
    out.push(`<${name}${decls}/>`);
    path.pop();
    return;
  }
  if (opaque !== undefined) {
    if (count !== 1) {
      throw createError(
        'WBXML_ERR_XML_UNREPRESENTABLE',
        'OPAQUE mixed with other content has no XML form',
        -1,
        {
          path: path.join('/'),
        },
      );
    }
    const b64 = Buffer.from(opaque.buffer, opaque.byteOffset, opaque.byteLength).toString('base64');
    out.push(`<${name}${decls} ${OPAQUE_ATTRIBUTE}="base64">${b64}</${name}>`);
    path.pop();
    return;
  }
  const layout = indent >= 0 && elementOnly;
  out.push(`<${name}${decls}>`);
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === 'string') {
      if (c.length !== 0) out.push(escapeXml(c));
    } else if (c instanceof WbxmlText) {
      if (c.byteLength !== 0) out.push(escapeXml(c.value));
    } else if (typeof c === 'object' && c !== null && !(c instanceof Uint8Array)) {
      if (layout) out.push('\n', indentOf(indent + 1));
      writeElement(c, prefixes, '', layout ? indent + 1 : -1, out, path);
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
  if (layout) out.push('\n', indentOf(indent));
  out.push(`</${name}>`);
  path.pop();
}

/** Characters escapeXml replaces. */
const NEEDS_ESCAPE = /[&<>"\r\u0001-\u0008\u000b\u000c\u000e-\u001f]/;
/** A character outside Latin-1: the output must be UTF-16, not one byte per character. */
const WIDE = /[^\u0000-\u00ff]/;

/** Bytes escapeXml writes for each ASCII character (1 = itself); CR and C0 controls as `&#xN;`. */
const ESCAPED_LENGTH = new Uint8Array(128).fill(1);
ESCAPED_LENGTH[0x26] = 5; // &amp;
ESCAPED_LENGTH[0x3c] = 4; // &lt;
ESCAPED_LENGTH[0x3e] = 4; // &gt;
ESCAPED_LENGTH[0x22] = 6; // &quot;
for (let c = 1; c < 0x20; c++) {
  if (c !== 0x09 && c !== 0x0a) ESCAPED_LENGTH[c] = c < 0x10 ? 5 : 6;
}

/**
 * Escapes text for element content and attribute values. CR and the C0 controls XML 1.0 allows
 * only as references are written as numeric references so they survive a parse (XML 2.11
 * normalises CR LF to LF). Text with something to escape is measured, then written into one
 * buffer: no string per replacement (a 10 MB text of ampersands is written at hundreds of MB/s).
 */
function escapeXml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  const n = s.length;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    size += c < 0x80 ? ESCAPED_LENGTH[c]! : 1;
  }
  if (WIDE.test(s)) return escapeWide(s, size);
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || ESCAPED_LENGTH[c] === 1) {
      buf[o++] = c;
      continue;
    }
    const ref = referenceOf(c);
    for (let k = 0; k < ref.length; k++) buf[o++] = ref.charCodeAt(k);
  }
  return buf.toString('latin1', 0, o);
}

/** Text with characters beyond Latin-1: the same, into UTF-16 code units. */
function escapeWide(s: string, size: number): string {
  const units = new Uint16Array(size);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || ESCAPED_LENGTH[c] === 1) {
      units[o++] = c;
      continue;
    }
    const ref = referenceOf(c);
    for (let k = 0; k < ref.length; k++) units[o++] = ref.charCodeAt(k);
  }
  return utf16String(units, o);
}

function referenceOf(c: number): string {
  return c === 0x26
    ? '&amp;'
    : c === 0x3c
      ? '&lt;'
      : c === 0x3e
        ? '&gt;'
        : c === 0x22
          ? '&quot;'
          : `&#x${c.toString(16)};`;
}

/** Code units as little-endian bytes (the platform's order for typed arrays here). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A string from units[0, n): one native UTF-16 decode. */
function utf16String(units: Uint16Array, n: number): string {
  if (!LITTLE_ENDIAN) {
    let out = '';
    for (let i = 0; i < n; i += 8192) out += String.fromCharCode(...units.subarray(i, Math.min(n, i + 8192)));
    return out;
  }
  return Buffer.from(units.buffer, units.byteOffset, 2 * n).toString('utf16le');
}

/** Parses XML in the EAS namespace convention into a tree. */
export function fromXml(xml: string, options?: FromXmlOptions): WbxmlElement {
  refuseHostile(xml);
  return new XmlReader(xml, options).document();
}

function refuseHostile(xml: string): void {
  if (!xml.includes('<!')) return;
  const doctype = declaration(xml, 'DOCTYPE');
  if (doctype >= 0) {
    const close = xml.indexOf('>', doctype);
    const body = xml.slice(doctype, close < 0 ? xml.length : close + 1);
    if (body.includes('[')) {
      fail('WBXML_ERR_XML_HOSTILE', 'DOCTYPE with an internal subset is refused (entity expansion)', doctype);
    }
  }
  const entity = declaration(xml, 'ENTITY');
  if (entity >= 0)
    fail('WBXML_ERR_XML_HOSTILE', 'entity declarations are refused (entity expansion)', entity);
}

/**
 * Offset of the first `<!WORD` (any case) anywhere in the text, or -1: memchr-speed hops from
 * `<!` to `<!`, where a case-insensitive regex crawled a large document.
 */
function declaration(xml: string, word: string): number {
  for (let at = xml.indexOf('<!'); at >= 0; at = xml.indexOf('<!', at + 2)) {
    if (xml.slice(at + 2, at + 2 + word.length).toUpperCase() === word) return at;
  }
  return -1;
}

function fail(code: WbxmlErrorCode, detail: string, offset: number, path?: readonly string[]): never {
  throw createError(code, detail, offset, path ? { path: elementPath(path) } : undefined);
}

/**
 * Characters XML 1.0 §2.2 does not allow, raw: C0 controls other than TAB, LF, CR, and the
 * noncharacters U+FFFE and U+FFFF — and surrogates, which are checked for pairing where found.
 * One native scan of the document.
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g;

function checkCharacters(s: string): void {
  NOT_XML_CHAR.lastIndex = 0;
  for (let m = NOT_XML_CHAR.exec(s); m !== null; m = NOT_XML_CHAR.exec(s)) {
    const at = m.index;
    const c = s.charCodeAt(at);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(at + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        NOT_XML_CHAR.lastIndex = at + 2;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff)
      fail('WBXML_ERR_XML_SYNTAX', 'a lone surrogate is not an XML character', at);
    fail(
      'WBXML_ERR_XML_SYNTAX',
      `U+${c.toString(16).toUpperCase().padStart(4, '0')} is not an XML 1.0 character`,
      at,
    );
  }
}

const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
/** An XML 1.0 Name (§2.3), matched where the reader stands. */
const NAME = new RegExp(`[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*`, 'y');

/** The code point of `&#N;` / `&#xN;` whose digits are s[from, to), or -1 when they are not digits. */
function charReference(s: string, from: number, to: number): number {
  let k = from;
  let base = 10;
  if (s.charCodeAt(k) === 0x78 /* x */) {
    base = 16;
    k++;
  }
  if (k === to) return -1;
  let cp = 0;
  for (; k < to; k++) {
    const d = s.charCodeAt(k);
    let v: number;
    if (d >= 0x30 && d <= 0x39) v = d - 0x30;
    else if (base === 16 && (d | 0x20) >= 0x61 && (d | 0x20) <= 0x66) v = (d | 0x20) - 0x61 + 10;
    else return -1;
    cp = cp * base + v;
  }
  return cp;
}

/** Runs of text at least this long are copied natively; shorter ones by hand. */
const NATIVE_RUN = 32;

/**
 * XML 1.0 §4.6 predefined entities and character references; anything else is an error. `at` is
 * the character offset of `s` in the document, for errors. The result is written into one
 * buffer (it is never longer than the input) and made a string once: 2 M `&amp;` take tens of
 * milliseconds, where a string or callback per reference took seconds.
 */
function decodeEntities(s: string, at: number, path: readonly string[]): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  const n = s.length;
  // A character reference can make Latin-1 text wide.
  const wide = s.includes('&#') || WIDE.test(s);
  const buf = wide ? undefined : Buffer.allocUnsafe(n);
  const units = wide ? new Uint16Array(n) : undefined;
  const unitBytes =
    units && LITTLE_ENDIAN ? Buffer.from(units.buffer, units.byteOffset, units.byteLength) : undefined;
  let o = 0;
  let i = 0;
  const copy = (from: number, to: number): void => {
    if (buf === undefined) {
      if (unitBytes !== undefined && to - from >= NATIVE_RUN) {
        unitBytes.write(s.slice(from, to), 2 * o, 'utf16le');
        o += to - from;
      } else {
        for (let k = from; k < to; k++) units![o++] = s.charCodeAt(k);
      }
    } else if (to - from >= NATIVE_RUN) {
      buf.write(s.slice(from, to), o, 'latin1');
      o += to - from;
    } else {
      for (let k = from; k < to; k++) buf[o++] = s.charCodeAt(k);
    }
  };
  const put = (unit: number): void => {
    if (buf === undefined) units![o++] = unit;
    else buf[o++] = unit;
  };
  while (amp >= 0) {
    copy(i, amp);
    const semi = s.indexOf(';', amp + 1);
    const len = semi - amp - 1;
    if (semi < 0 || len > 9 || len === 0) {
      const m = /^&[^;&\s]*;?/.exec(s.slice(amp, amp + 12))![0];
      if (semi < 0 || !s.slice(amp, semi).match(/^&[^;&\s]*$/)) {
        fail('WBXML_ERR_XML_SYNTAX', `"&" not part of an entity reference: ${m}`, at + amp, path);
      }
      fail('WBXML_ERR_XML_SYNTAX', `unknown or invalid entity ${s.slice(amp, semi + 1)}`, at + amp, path);
    }
    const c1 = s.charCodeAt(amp + 1);
    const c2 = s.charCodeAt(amp + 2);
    if (len === 3 && c1 === 0x61 && c2 === 0x6d && s.charCodeAt(amp + 3) === 0x70)
      put(0x26); // amp
    else if (len === 2 && c2 === 0x74 && (c1 === 0x6c || c1 === 0x67))
      put(c1 === 0x6c ? 0x3c : 0x3e); // lt gt
    else if (len === 4 && s.startsWith('quot', amp + 1)) put(0x22);
    else if (len === 4 && s.startsWith('apos', amp + 1)) put(0x27);
    else {
      const cp = c1 === 0x23 /* # */ ? charReference(s, amp + 2, semi) : -1;
      // XML 1.0 §2.2 Char, plus the C0 controls as references (as XML 1.1 allows): toXml writes
      // them so text with a control character round-trips; U+0000, surrogates, U+FFFE/U+FFFF never.
      if (!(cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && cp !== 0xfffe && cp !== 0xffff)) {
        const name = s.slice(amp + 1, semi);
        const what = /^[^&\s]*$/.test(name)
          ? `unknown or invalid entity &${name};`
          : `"&" not part of an entity reference: &${name.split(/[&\s]/)[0]}`;
        fail('WBXML_ERR_XML_SYNTAX', what, at + amp, path);
      }
      if (cp < 0x10000) put(cp);
      else {
        put(0xd800 + ((cp - 0x10000) >> 10));
        put(0xdc00 + ((cp - 0x10000) & 0x3ff));
      }
    }
    i = semi + 1;
    amp = s.indexOf('&', i);
  }
  copy(i, n);
  return buf === undefined ? utf16String(units!, o) : buf.toString('latin1', 0, o);
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

/** An element being read: its name, scope and the content gathered so far. */
interface Frame {
  readonly qname: string;
  readonly ns: string;
  readonly tag: string;
  readonly scope: ReadonlyMap<string, string>;
  readonly opaque: boolean;
  readonly children: WbxmlNode[];
  text: string;
  sawElement: boolean;
}

/** One linear pass over the document, elements on an explicit stack (no recursion to overflow). */
class XmlReader {
  readonly #s: string;
  readonly #aliases: Map<string, Map<string, string>> | undefined;
  readonly #maxDepth: number;
  #i = 0;
  readonly #stack: Frame[] = [];
  /** Local names of the open elements, for error messages. */
  readonly #path: string[] = [];

  constructor(xml: string, options: FromXmlOptions | undefined) {
    this.#s = xml;
    this.#aliases = options?.libwbxmlNames ? libwbxmlAliases() : undefined;
    this.#maxDepth = options?.maxDepth ?? 256;
  }

  document(): WbxmlElement {
    const s = this.#s;
    checkCharacters(s);
    if (s.charCodeAt(0) === 0xfeff) this.#i = 1;
    this.#misc(true);
    if (s.charCodeAt(this.#i) !== 0x3c /* < */ || this.#i >= s.length) {
      fail('WBXML_ERR_XML_SYNTAX', 'XML must have exactly one root element', this.#i);
    }
    const root = this.#content();
    this.#misc(false);
    if (this.#i < s.length) {
      fail(
        'WBXML_ERR_XML_SYNTAX',
        'XML must have exactly one root element (content after the root)',
        this.#i,
      );
    }
    return root;
  }

  /** Whitespace, comments, PIs and (before the root) one DOCTYPE: XML 1.0 §2.8 Misc. */
  #misc(prolog: boolean): void {
    const s = this.#s;
    let doctype = false;
    for (;;) {
      this.#skipSpace();
      if (s.startsWith('<?', this.#i)) this.#skipTo('?>', 'processing instruction');
      else if (s.startsWith('<!--', this.#i)) this.#skipTo('-->', 'comment');
      else if (prolog && !doctype && s.startsWith('<!DOCTYPE', this.#i)) {
        // refuseHostile has already refused an internal subset, so the DOCTYPE ends at its first '>'.
        this.#skipTo('>', 'DOCTYPE');
        doctype = true;
      } else return;
    }
  }

  #skipSpace(): void {
    const s = this.#s;
    let i = this.#i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) break;
      i++;
    }
    this.#i = i;
  }

  /** Moves past the next `end`; `what` names the construct for the error when it never ends. */
  #skipTo(end: string, what: string): void {
    const at = this.#s.indexOf(end, this.#i + 2);
    if (at < 0) fail('WBXML_ERR_XML_SYNTAX', `unterminated ${what}`, this.#i);
    this.#i = at + end.length;
  }

  #name(): string {
    // ASCII names (all EAS names) by hand; anything else through the full XML Name pattern.
    const s = this.#s;
    const start = this.#i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
      if (
        letter ||
        c === 0x5f ||
        c === 0x3a ||
        (i > start && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e))
      ) {
        i++;
        continue;
      }
      if (i > start && (c < 0x80 || Number.isNaN(c))) {
        this.#i = i;
        return s.slice(start, i);
      }
      break;
    }
    NAME.lastIndex = this.#i;
    const m = NAME.exec(this.#s);
    if (m === null) fail('WBXML_ERR_XML_SYNTAX', 'expected an XML name', this.#i, this.#path);
    this.#i += m[0].length;
    return m[0];
  }

  /** The root element and everything in it. */
  #content(): WbxmlElement {
    const s = this.#s;
    const stack = this.#stack;
    let done = this.#open();
    while (stack.length > 0) {
      const cur = stack[stack.length - 1]!;
      const lt = s.indexOf('<', this.#i);
      if (lt < 0) fail('WBXML_ERR_XML_SYNTAX', `<${cur.qname}> is never closed`, s.length, this.#path);
      if (lt > this.#i) cur.text += this.#text(this.#i, lt);
      this.#i = lt;
      const next = s.charCodeAt(lt + 1);
      if (next === 0x2f /* / */) {
        this.#i = lt + 2;
        const name = this.#name();
        if (name !== cur.qname) {
          fail('WBXML_ERR_XML_SYNTAX', `</${name}> closes <${cur.qname}>`, lt, this.#path);
        }
        this.#skipSpace();
        if (s.charCodeAt(this.#i) !== 0x3e) fail('WBXML_ERR_XML_SYNTAX', 'expected ">"', this.#i, this.#path);
        this.#i++;
        done = this.#close();
      } else if (next === 0x21 /* ! */) {
        if (s.startsWith('<!--', lt)) this.#skipTo('-->', 'comment');
        else if (s.startsWith('<![CDATA[', lt)) {
          const end = s.indexOf(']]>', lt + 9);
          if (end < 0) fail('WBXML_ERR_XML_SYNTAX', 'unterminated CDATA section', lt, this.#path);
          cur.text += s.slice(lt + 9, end);
          this.#i = end + 3;
        } else fail('WBXML_ERR_XML_SYNTAX', 'markup declaration inside an element', lt, this.#path);
      } else if (next === 0x3f /* ? */) {
        this.#skipTo('?>', 'processing instruction');
      } else {
        // Text between child elements is layout (pretty printing), except where it is not whitespace.
        if (cur.text.trim() !== '') cur.children.push(cur.text);
        cur.text = '';
        cur.sawElement = true;
        done = this.#open();
      }
    }
    return done!;
  }

  /** Character data from..to: references resolved; `]]>` is not allowed in it (XML 1.0 §2.4). */
  #text(from: number, to: number): string {
    const raw = this.#s.slice(from, to);
    if (raw.includes(']]>')) {
      fail('WBXML_ERR_XML_SYNTAX', '"]]>" in text', from + raw.indexOf(']]>'), this.#path);
    }
    return decodeEntities(raw, from, this.#path);
  }

  /**
   * Reads a start tag at the reader's `<`. Pushes a frame for an element with content, and returns
   * undefined; an empty-element tag is finished at once and returned (added to its parent).
   */
  #open(): WbxmlElement | undefined {
    const s = this.#s;
    const at = this.#i;
    if (this.#stack.length >= this.#maxDepth) {
      fail(
        'WBXML_ERR_DEPTH_EXCEEDED',
        `element nesting deeper than maxDepth ${this.#maxDepth}`,
        at,
        this.#path,
      );
    }
    this.#i++;
    const qname = this.#name();
    const colon = qname.indexOf(':');
    const prefix = colon >= 0 ? qname.slice(0, colon) : '';
    const local = colon >= 0 ? qname.slice(colon + 1) : qname;
    this.#path.push(local);
    const parent = this.#stack[this.#stack.length - 1];
    const outer: ReadonlyMap<string, string> = parent?.scope ?? new Map();
    let scope = outer;
    let opaque = false;
    let empty = false;
    // Attribute names seen so far; EAS documents carry at most a few namespace declarations.
    const seen: string[] = [];
    for (;;) {
      const before = this.#i;
      this.#skipSpace();
      const c = s.charCodeAt(this.#i);
      if (c === 0x3e /* > */) {
        this.#i++;
        break;
      }
      if (c === 0x2f /* / */ && s.charCodeAt(this.#i + 1) === 0x3e) {
        this.#i += 2;
        empty = true;
        break;
      }
      if (this.#i === before || Number.isNaN(c)) {
        fail('WBXML_ERR_XML_SYNTAX', `malformed start tag <${qname}>`, this.#i, this.#path);
      }
      const k = this.#name();
      this.#skipSpace();
      if (s.charCodeAt(this.#i) !== 0x3d /* = */) {
        fail('WBXML_ERR_XML_SYNTAX', `attribute "${k}" has no value`, this.#i, this.#path);
      }
      this.#i++;
      this.#skipSpace();
      const q = s.charCodeAt(this.#i);
      if (q !== 0x22 && q !== 0x27)
        fail('WBXML_ERR_XML_SYNTAX', `attribute "${k}" is not quoted`, this.#i, this.#path);
      const end = s.indexOf(q === 0x22 ? '"' : "'", this.#i + 1);
      if (end < 0) fail('WBXML_ERR_XML_SYNTAX', `attribute "${k}" is not closed`, this.#i, this.#path);
      const raw = s.slice(this.#i + 1, end);
      if (raw.includes('<')) fail('WBXML_ERR_XML_SYNTAX', `"<" in attribute "${k}"`, this.#i, this.#path);
      if (seen.includes(k))
        fail('WBXML_ERR_XML_SYNTAX', `attribute "${k}" appears twice`, before, this.#path);
      seen.push(k);
      const v = decodeEntities(raw, this.#i + 1, this.#path);
      this.#i = end + 1;
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (scope === outer) scope = new Map(outer);
        (scope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), this.#namespace(v));
      } else if (k === OPAQUE_ATTRIBUTE && v === 'base64') {
        opaque = true;
      } else {
        fail('WBXML_ERR_ATTRIBUTES_UNSUPPORTED', `attribute "${k}" (EAS defines none)`, before, this.#path);
      }
    }
    const ns = scope.get(prefix);
    if (ns === undefined) {
      fail(
        'WBXML_ERR_UNKNOWN_NAMESPACE',
        prefix === '' ? `<${qname}> has no namespace` : `prefix "${prefix}" is not declared`,
        at,
        this.#path,
      );
    }
    // Maps, never plain objects: a tag named __proto__ or constructor is just an unknown tag.
    const tag = this.#aliases?.get(ns)?.get(local) ?? local;
    if (!pageTokens(ns)!.tokens.has(tag)) {
      fail('WBXML_ERR_UNKNOWN_TAG', `tag "${local}" is not defined on code page ${ns}`, at, this.#path);
    }
    this.#stack.push({ qname, ns, tag, scope, opaque, children: [], text: '', sawElement: false });
    return empty ? this.#close() : undefined;
  }

  /** Finishes the innermost element: adds it to its parent and returns it. */
  #close(): WbxmlElement {
    const f = this.#stack.pop()!;
    const { text, children } = f;
    if (text !== '' && (!f.sawElement || text.trim() !== '')) children.push(text);
    let el: WbxmlElement;
    if (f.opaque) {
      if (f.sawElement) {
        fail('WBXML_ERR_XML_SYNTAX', 'an opaque="base64" element cannot have child elements', -1, this.#path);
      }
      el = { ns: f.ns, tag: f.tag, children: [decodeBase64(text, this.#path)] };
    } else {
      el = { ns: f.ns, tag: f.tag, children };
    }
    this.#path.pop();
    const parent = this.#stack[this.#stack.length - 1];
    if (parent) parent.children.push(el);
    return el;
  }

  #namespace(uri: string): string {
    let name = uri.endsWith(':') ? uri.slice(0, -1) : uri;
    // libwbxml's ACTIVESYNC language spells page 16 "Gal:" (libwbxml-coverage.md).
    if (name === 'Gal') name = 'GAL';
    if (pageTokens(name) === undefined) {
      fail('WBXML_ERR_UNKNOWN_NAMESPACE', `namespace "${uri}" is no EAS code page`, -1, this.#path);
    }
    return name;
  }
}

function decodeBase64(text: string, path: readonly string[]): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    fail('WBXML_ERR_XML_SYNTAX', 'opaque content is not valid base64', -1, path);
  }
  const buf = Buffer.from(compact, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}
