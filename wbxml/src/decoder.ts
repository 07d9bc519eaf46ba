/**
 * WBXML → element tree. A single-pass state machine over the bytes (WAP-192 §5, MS-ASWBXML 2.1.2):
 * header, string table, then body tokens. Every cap in limits.ts is checked before the memory it
 * guards is allocated, and the first error stops decoding with a WbxmlError carrying the offset.
 */
import { NAMESPACES, TAG_NAMES } from './codepage-index';
import { createError, type WbxmlErrorCode } from './errors';
import { type DecodeLimits, resolveLimits } from './limits';
import * as tokens from './tokens';
import { isUtf8 } from 'node:buffer';
import { type WbxmlElement, type WbxmlNode, WbxmlText } from './tree';
import * as utf8 from './utf8';

// Module-local copies, read once at load: the hot loop must not pay for live-binding access to
// another module's exports, which TS loaders (tsx, vite-node) may compile to getter calls.
const {
  CHARSET_US_ASCII,
  CHARSET_UTF8,
  END,
  ENTITY,
  LITERAL,
  LITERAL_A,
  LITERAL_AC,
  LITERAL_C,
  OPAQUE,
  PI,
  STR_I,
  STR_T,
  SWITCH_PAGE,
  TAG_ATTRIBUTES,
  TAG_CONTENT,
  TAG_MASK,
} = tokens;
const { decodeUtf8, firstInvalidUtf8 } = utf8;

/** What the header said, for callers that care (the CLI's `--header`, tests). */
export interface WbxmlHeader {
  /** WBXML version byte: 0x00 = 1.0 … 0x03 = 1.3. */
  readonly version: number;
  /** Well-known public id, or 0 when `publicIdLiteral` holds a string-table public id. */
  readonly publicId: number;
  readonly publicIdLiteral: string | undefined;
  /** IANA MIBenum of the charset (106 = UTF-8). */
  readonly charset: number;
  readonly stringTableLength: number;
}

/** A decoded document: its header and root element. */
export interface DecodedDocument {
  readonly header: WbxmlHeader;
  readonly root: WbxmlElement;
}

/** How the tree is built (not a limit: every option keeps every cap). */
export interface DecodeOptions {
  /**
   * An inline string (STR_I) of at least this many UTF-8 bytes becomes a `WbxmlText` that views
   * the input and decodes on first read, instead of a string; its UTF-8 is still validated here.
   * Off by default (every text child is a string). With it the input must stay unmodified while
   * the tree is in use, and stays in memory as long as an undecoded node does. The daemon uses
   * 1024: mail bodies it never reads then cost no strings.
   */
  readonly lazyTextFrom?: number;
}

/** Decodes a WBXML document into its root element. Throws WbxmlError on bad input. */
export function decode(
  bytes: Uint8Array,
  limits?: Partial<DecodeLimits>,
  options?: DecodeOptions,
): WbxmlElement {
  return decodeDocument(bytes, limits, options).root;
}

/** Decodes a WBXML document and returns its header along with the root element. */
export function decodeDocument(
  bytes: Uint8Array,
  limits?: Partial<DecodeLimits>,
  options?: DecodeOptions,
): DecodedDocument {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode expects a Uint8Array');
  const lazyFrom = options?.lazyTextFrom ?? Number.POSITIVE_INFINITY;
  if (!(lazyFrom >= 1)) throw new TypeError(`lazyTextFrom must be >= 1, got ${String(lazyFrom)}`);
  return new Decoder(bytes, resolveLimits(limits), lazyFrom).run();
}

function fail(code: WbxmlErrorCode, detail: string, offset: number): never {
  throw createError(code, detail, offset);
}

class Decoder {
  readonly #b: Uint8Array;
  readonly #end: number;
  readonly #limits: DecodeLimits;
  #pos = 0;
  #table: Uint8Array = new Uint8Array(0);
  #tableStart = 0;
  /**
   * The whole string table decoded once, on the first reference: a reference is then a slice of
   * it (V8 shares the characters), so N references cost N small string headers, not N copies.
   * `null` when the table as a whole is not valid UTF-8: references then decode their own entry
   * (and report the bad byte), still counted against maxTextBytes.
   */
  #tableText: string | null | undefined;
  /** For a non-ASCII table: UTF-16 offset of each byte offset (an ASCII table maps 1:1). */
  #tableUnits: Uint32Array | undefined;
  /** UTF-8 bytes of text decoded so far (maxTextBytes). */
  #textBytes = 0;
  readonly #lazyFrom: number;

  constructor(bytes: Uint8Array, limits: DecodeLimits, lazyFrom: number) {
    this.#b = bytes;
    this.#end = bytes.length;
    this.#limits = limits;
    this.#lazyFrom = lazyFrom;
  }

  run(): DecodedDocument {
    if (this.#end > this.#limits.maxDocumentSize) {
      fail(
        'WBXML_ERR_DOCUMENT_TOO_LARGE',
        `document of ${this.#end} bytes exceeds maxDocumentSize ${this.#limits.maxDocumentSize}`,
        this.#limits.maxDocumentSize,
      );
    }
    const header = this.#header();
    return { header, root: this.#body() };
  }

  /** WAP-192 §5.4: version, publicid, charset (absent in 1.0), strtbl. */
  #header(): WbxmlHeader {
    const version = this.#byte('header version');
    if (version > 0x03) {
      fail('WBXML_ERR_UNSUPPORTED_VERSION', `WBXML version byte 0x${version.toString(16)} is not 1.0-1.3`, 0);
    }
    const publicId = this.#mbUint('public id');
    let publicIdIndex = -1;
    let publicIdIndexAt = -1;
    if (publicId === 0) {
      // publicid = 0 (LITERAL): an index into the string table follows (WAP-192 §5.5).
      publicIdIndexAt = this.#pos;
      publicIdIndex = this.#mbUint('public id index');
    }
    let charset = CHARSET_UTF8;
    if (version >= 0x01) {
      const at = this.#pos;
      charset = this.#mbUint('charset');
      if (charset !== CHARSET_UTF8 && charset !== CHARSET_US_ASCII) {
        fail(
          'WBXML_ERR_UNSUPPORTED_CHARSET',
          `charset MIBenum ${charset} is not supported (UTF-8 = 106 or US-ASCII = 3)`,
          at,
        );
      }
    }
    const lenAt = this.#pos;
    const len = this.#mbUint('string table length');
    if (len > this.#limits.maxStringTableSize) {
      fail(
        'WBXML_ERR_STRING_TABLE_TOO_LARGE',
        `string table of ${len} bytes exceeds maxStringTableSize ${this.#limits.maxStringTableSize}`,
        lenAt,
      );
    }
    if (len > this.#end - this.#pos) {
      fail(
        'WBXML_ERR_LENGTH_PAST_END',
        `string table of ${len} bytes runs past the end of the document`,
        lenAt,
      );
    }
    this.#tableStart = this.#pos;
    this.#table = this.#b.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    const publicIdLiteral =
      publicIdIndex >= 0 ? this.#tableString(publicIdIndex, publicIdIndexAt) : undefined;
    return { version, publicId, publicIdLiteral, charset, stringTableLength: len };
  }

  #body(): WbxmlElement {
    const b = this.#b;
    const end = this.#end;
    const maxDepth = this.#limits.maxDepth;
    const maxElements = this.#limits.maxElements;
    const stack: WbxmlElement[] = [];
    // The children of the open elements, in one array: an element's own array is made at its
    // END, exactly sized (a push-grown array keeps up to 2x its length in spare slots; 1.2 MB of
    // the 5 MB text Sync's tree) and in one copy instead of repeated growth.
    const kids: WbxmlNode[] = [];
    const starts: number[] = [];
    let top = 0;
    let curStart = 0;
    let cur: WbxmlElement | undefined;
    let root: WbxmlElement | undefined;
    let page = 0;
    let names = TAG_NAMES[0]!;
    let ns = NAMESPACES[0]!;
    let elements = 0;
    let pos = this.#pos;

    while (pos < end) {
      if (root !== undefined && cur === undefined)
        fail('WBXML_ERR_TRAILING_DATA', 'data after the root element', pos);
      const t = b[pos]!;
      const token = t & TAG_MASK;
      if (token >= 0x05 && t < TAG_ATTRIBUTES) {
        // A tag: the hot path.
        const tag = names[token];
        if (tag === undefined) {
          fail(
            'WBXML_ERR_UNKNOWN_TOKEN',
            `token 0x${token.toString(16)} is not defined on code page ${page} (${ns})`,
            pos,
          );
        }
        if (++elements > maxElements) {
          fail('WBXML_ERR_TOO_MANY_ELEMENTS', `more than maxElements ${maxElements} elements`, pos);
        }
        if (stack.length >= maxDepth) {
          fail('WBXML_ERR_DEPTH_EXCEEDED', `element nesting deeper than maxDepth ${maxDepth}`, pos);
        }
        if ((t & TAG_CONTENT) !== 0) {
          // Its children array is made at its END.
          const node: WbxmlElement = { ns, tag, children: PENDING };
          if (cur === undefined) root = node;
          else kids[top++] = node;
          stack.push(node);
          starts.push(top);
          curStart = top;
          cur = node;
        } else {
          const node: WbxmlElement = { ns, tag, children: [] };
          if (cur === undefined) root = node;
          else kids[top++] = node;
        }
        pos++;
        continue;
      }
      switch (t) {
        case SWITCH_PAGE: {
          if (pos + 1 >= end) fail('WBXML_ERR_TRUNCATED', 'document ends inside SWITCH_PAGE', end);
          const p = b[pos + 1]!;
          const n = TAG_NAMES[p];
          if (n === undefined)
            fail('WBXML_ERR_UNKNOWN_PAGE', `code page ${p} is not defined by MS-ASWBXML`, pos + 1);
          page = p;
          names = n;
          ns = NAMESPACES[p]!;
          pos += 2;
          break;
        }
        case END: {
          if (cur === undefined) fail('WBXML_ERR_UNEXPECTED_TOKEN', 'END with no open element', pos);
          const n = top - curStart;
          (cur as { children: WbxmlNode[] }).children =
            n === 0 ? [] : n === 1 ? [kids[curStart]!] : kids.slice(curStart, top);
          top = curStart;
          stack.pop();
          starts.pop();
          cur = stack[stack.length - 1];
          curStart = starts.length === 0 ? 0 : starts[starts.length - 1]!;
          pos++;
          break;
        }
        case STR_I: {
          if (cur === undefined) this.#outside('STR_I', pos);
          const nul = b.indexOf(0, pos + 1);
          if (nul < 0) fail('WBXML_ERR_TRUNCATED', 'inline string has no terminating NUL', pos);
          this.#countText(nul - pos - 1, pos);
          if (nul - pos - 1 >= this.#lazyFrom) {
            // Validated now (simdutf, GB/s), decoded when read: bad input still fails here.
            if (!isUtf8(b.subarray(pos + 1, nul))) this.#badUtf8(pos + 1, nul);
            top = appendText(kids, curStart, top, new WbxmlText(b, pos + 1, nul), pos);
          } else {
            const s = decodeUtf8(b, pos + 1, nul);
            if (s === undefined) this.#badUtf8(pos + 1, nul);
            top = appendText(kids, curStart, top, s, pos);
          }
          pos = nul + 1;
          break;
        }
        case STR_T: {
          if (cur === undefined) this.#outside('STR_T', pos);
          this.#pos = pos + 1;
          const index = this.#mbUint('STR_T index');
          top = appendText(kids, curStart, top, this.#tableString(index, pos), pos);
          pos = this.#pos;
          break;
        }
        case OPAQUE: {
          if (cur === undefined) this.#outside('OPAQUE', pos);
          this.#pos = pos + 1;
          const lenAt = this.#pos;
          const len = this.#mbUint('OPAQUE length');
          if (len > this.#limits.maxOpaqueLength) {
            fail(
              'WBXML_ERR_OPAQUE_TOO_LARGE',
              `OPAQUE of ${len} bytes exceeds maxOpaqueLength ${this.#limits.maxOpaqueLength}`,
              lenAt,
            );
          }
          const start = this.#pos;
          if (len > end - start) {
            fail(
              'WBXML_ERR_LENGTH_PAST_END',
              `OPAQUE of ${len} bytes runs past the end of the document`,
              lenAt,
            );
          }
          // A copy, so the tree owns its bytes and the input can be reused or freed. Not b.slice():
          // on a Node Buffer that returns a view into the input.
          const data = new Uint8Array(len);
          data.set(b.subarray(start, start + len));
          kids[top++] = data;
          pos = start + len;
          break;
        }
        case ENTITY: {
          if (cur === undefined) this.#outside('ENTITY', pos);
          this.#pos = pos + 1;
          const cp = this.#mbUint('ENTITY');
          if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0) {
            fail('WBXML_ERR_INVALID_ENTITY', `ENTITY ${cp} is not a Unicode scalar value`, pos);
          }
          this.#countText(cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, pos);
          top = appendText(kids, curStart, top, String.fromCodePoint(cp), pos);
          pos = this.#pos;
          break;
        }
        case PI:
          fail('WBXML_ERR_PI_UNSUPPORTED', 'processing instruction (EAS defines none)', pos);
          break;
        case LITERAL:
        case LITERAL_A:
        case LITERAL_C:
        case LITERAL_AC:
          fail(
            'WBXML_ERR_LITERAL_UNSUPPORTED',
            `LITERAL tag 0x${t.toString(16)} (EAS uses code-page tokens only)`,
            pos,
          );
          break;
        default:
          if (token < 0x05) {
            fail(
              'WBXML_ERR_EXTENSION_UNSUPPORTED',
              `extension token 0x${t.toString(16)} (EAS defines none)`,
              pos,
            );
          }
          fail(
            'WBXML_ERR_ATTRIBUTES_UNSUPPORTED',
            `tag 0x${t.toString(16)} has attributes (EAS defines none)`,
            pos,
          );
      }
    }
    if (root === undefined) fail('WBXML_ERR_TRUNCATED', 'document has no root element', end);
    if (cur !== undefined) {
      fail(
        'WBXML_ERR_TRUNCATED',
        `document ends with ${stack.length} element(s) still open (<${cur.tag}>)`,
        end,
      );
    }
    return root;
  }

  #outside(what: string, pos: number): never {
    fail('WBXML_ERR_UNEXPECTED_TOKEN', `${what} before the root element`, pos);
  }

  #badUtf8(start: number, end: number): never {
    const at = firstInvalidUtf8(this.#b, start, end);
    fail('WBXML_ERR_INVALID_UTF8', 'string is not valid UTF-8', at < 0 ? start : at);
  }

  /** Counts `n` more bytes of text against maxTextBytes, before they are decoded. */
  #countText(n: number, at: number): void {
    const total = this.#textBytes + n;
    if (total > this.#limits.maxTextBytes) {
      fail(
        'WBXML_ERR_TEXT_TOO_LARGE',
        `text of the document exceeds maxTextBytes ${this.#limits.maxTextBytes}`,
        at,
      );
    }
    this.#textBytes = total;
  }

  /**
   * The NUL-terminated string at `index` in the string table (WAP-192 §5.7); an index may point
   * into the middle of an entry. Each reference counts its bytes against maxTextBytes, as if it
   * were an inline string: one 32 KiB entry referenced 16 400 times is 512 MiB of text.
   */
  #tableString(index: number, at: number): string {
    const table = this.#table;
    if (index >= table.length) {
      fail(
        'WBXML_ERR_BAD_STRING_REF',
        `string table index ${index} is outside the ${table.length}-byte table`,
        at,
      );
    }
    const nul = table.indexOf(0, index);
    if (nul < 0)
      fail('WBXML_ERR_BAD_STRING_REF', `string table entry at ${index} has no terminating NUL`, at);
    this.#countText(nul - index, at);
    const whole = this.#tableText === undefined ? this.#decodeTable() : this.#tableText;
    if (whole === null) {
      const s = decodeUtf8(table, index, nul);
      if (s === undefined) this.#badUtf8(this.#tableStart + index, this.#tableStart + nul);
      return s;
    }
    const units = this.#tableUnits;
    if (units === undefined) return whole.slice(index, nul);
    // A reference to a continuation byte starts inside a character: not valid UTF-8.
    if ((table[index]! & 0xc0) === 0x80) this.#badUtf8(this.#tableStart + index, this.#tableStart + nul);
    return whole.slice(units[index]!, units[nul]!);
  }

  /** Decodes the whole table once (NUL separators included) and maps bytes to UTF-16 offsets. */
  #decodeTable(): string | null {
    const table = this.#table;
    const whole = decodeUtf8(table, 0, table.length) ?? null;
    this.#tableText = whole;
    if (whole === null || whole.length === table.length) return whole;
    const units = new Uint32Array(table.length + 1);
    let u = 0;
    for (let i = 0; i < table.length; i++) {
      units[i] = u;
      const c = table[i]!;
      // A lead byte starts a character: 4-byte sequences are a surrogate pair, 2 units.
      if ((c & 0xc0) !== 0x80) u += c >= 0xf0 ? 2 : 1;
    }
    units[table.length] = u;
    this.#tableUnits = units;
    return whole;
  }

  #byte(what: string): number {
    if (this.#pos >= this.#end) fail('WBXML_ERR_TRUNCATED', `document ends before ${what}`, this.#pos);
    return this.#b[this.#pos++]!;
  }

  /** mb_u_int32 (WAP-192 §5.1): at most 5 bytes, at most 32 bits. */
  #mbUint(what: string): number {
    const start = this.#pos;
    const b = this.#b;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.#pos >= this.#end) fail('WBXML_ERR_TRUNCATED', `document ends inside ${what}`, this.#pos);
      const c = b[this.#pos++]!;
      // Multiplication, not <<, so values past 2^31 stay positive.
      value = value * 128 + (c & 0x7f);
      if ((c & 0x80) === 0) {
        if (value > 0xffffffff) fail('WBXML_ERR_MBUINT_TOO_LONG', `${what} exceeds 32 bits`, start);
        return value;
      }
    }
    return fail('WBXML_ERR_MBUINT_TOO_LONG', `${what} is longer than 5 bytes`, start);
  }
}

/** V8's String::kMaxLength on 64-bit: a longer concatenation throws a plain RangeError. */
const MAX_STRING_LENGTH = 2 ** 29 - 24;

/** The children array of an element whose END has not been read yet (never seen outside). */
const PENDING: WbxmlNode[] = [];

/**
 * Adjacent text pieces (STR_I, STR_T, ENTITY) join into one string child; empty strings vanish.
 * A lazy piece stays lazy only when it is the whole text run: joined, it is decoded. `kids[from,
 * top)` are the open element's children so far; returns the new top.
 */
function appendText(kids: WbxmlNode[], from: number, top: number, s: string | WbxmlText, at: number): number {
  if (typeof s === 'string' && s.length === 0) return top;
  const prev = top > from ? kids[top - 1] : undefined;
  if (typeof prev === 'string' || prev instanceof WbxmlText) {
    const a = typeof prev === 'string' ? prev : prev.value;
    const b = typeof s === 'string' ? s : s.value;
    if (a.length + b.length > MAX_STRING_LENGTH) {
      fail('WBXML_ERR_TEXT_TOO_LARGE', `text of one element exceeds ${MAX_STRING_LENGTH} characters`, at);
    }
    kids[top - 1] = a + b;
    return top;
  }
  kids[top] = s;
  return top + 1;
}
