/**
 * Element tree → WBXML in the exact form EAS servers expect (MS-ASWBXML 2.1.2.1): header
 * `03 01 6A 00`, SWITCH_PAGE only when the page changes, STR_I for text, OPAQUE for bytes, and a
 * bare token (no content bit) for an empty element.
 *
 * Two passes: the first validates the tree, resolves every tag to its token and measures every
 * string, so the second writes into one exactly-sized output buffer. A growable buffer would
 * copy a 5 MB document several times over and zero pages it then discards.
 */
import { Buffer } from 'node:buffer';
import * as codepages from './codepage-index';
import type { PageTokens } from './codepage-index';
import { createError, type WbxmlErrorCode } from './errors';
import * as tokens from './tokens';
import type { WbxmlElement, WbxmlNode } from './tree';

/** Encoder options. */
export interface EncodeOptions {
  /** Deepest nesting accepted (the root is depth 1); guards against cyclic trees. Default 256. */
  readonly maxDepth?: number;
}

// Module-local copies, read once at load: the hot paths must not pay for live-binding access to
// another module's exports, which TS loaders (tsx, vite-node) may compile to getter calls.
const { EAS_HEADER, END, OPAQUE, STR_I, SWITCH_PAGE, TAG_CONTENT } = tokens;
const { pageTokens } = codepages;
const textEncoder = new TextEncoder();

/** Encodes a tree as a WBXML 1.3 document. Throws WbxmlError for a tag no code page defines. */
export function encode(root: WbxmlElement, options?: EncodeOptions): Uint8Array {
  const plan = new Plan(options?.maxDepth ?? 256);
  if (!isElementNode(root))
    throw createError('WBXML_ERR_INVALID_TREE', 'the root is not an element', EAS_HEADER.length);
  plan.measure(root);
  // Every byte is written below, so the buffer need not be zeroed first (a measurable cost for
  // multi-megabyte Sync responses); the view is a plain Uint8Array over its own ArrayBuffer.
  const raw = Buffer.allocUnsafeSlow(plan.size);
  const out = new Uint8Array(raw.buffer, raw.byteOffset, plan.size);
  out.set(EAS_HEADER);
  const end = new Emitter(out, plan).document(root);
  if (end !== plan.size) throw new Error(`wbxml encoder: wrote ${end} of ${plan.size} planned bytes`);
  return out;
}

/** Pass 1: validation, token resolution and sizes, recorded in document order. */
class Plan {
  /** Per element: page << 8 | tag byte (token, plus the content bit). */
  readonly tags: number[] = [];
  /** Per non-empty string child: its UTF-8 length. */
  readonly lengths: number[] = [];
  size = EAS_HEADER.length;
  readonly #maxDepth: number;
  readonly #path: string[] = [];
  #page = 0;
  #lastNs = '';
  #lastPage: PageTokens | undefined;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  measure(el: WbxmlElement): void {
    const path = this.#path;
    path.push(el.tag);
    if (path.length > this.#maxDepth) {
      this.#fail('WBXML_ERR_DEPTH_EXCEEDED', `element nesting deeper than maxDepth ${this.#maxDepth}`);
    }
    let pt = this.#lastPage;
    if (el.ns !== this.#lastNs || pt === undefined) {
      pt = pageTokens(el.ns);
      if (pt === undefined)
        this.#fail('WBXML_ERR_UNKNOWN_NAMESPACE', `namespace "${el.ns}" is no EAS code page`);
      this.#lastNs = el.ns;
      this.#lastPage = pt;
    }
    const token = pt.tokens.get(el.tag);
    if (token === undefined) {
      this.#fail(
        'WBXML_ERR_UNKNOWN_TAG',
        `tag "${el.tag}" is not defined on code page ${pt.page} (${pt.namespace})`,
      );
    }
    if (pt.page !== this.#page) {
      this.size += 2;
      this.#page = pt.page;
    }
    const slot = this.tags.length;
    this.tags.push((pt.page << 8) | token);
    this.size += 1;
    const children = el.children;
    if (!Array.isArray(children)) this.#fail('WBXML_ERR_INVALID_TREE', 'element has no children array');
    let content = false;
    for (let i = 0; i < children.length; i++) {
      const c: WbxmlNode = children[i]!;
      if (typeof c === 'string') {
        if (c.length === 0) continue;
        // STR_I is NUL-terminated (WAP-192 §5.8.4.1): U+0000 cannot be carried as text.
        if (c.includes('\u0000'))
          this.#fail('WBXML_ERR_INVALID_TREE', 'text contains U+0000, which STR_I cannot carry');
        const n = utf8Length(c);
        this.lengths.push(n);
        this.size += n + 2;
      } else if (c instanceof Uint8Array) {
        this.size += 1 + mbUintLength(c.length) + c.length;
      } else if (isElementNode(c)) {
        this.measure(c);
      } else {
        this.#fail('WBXML_ERR_INVALID_TREE', `child ${i} is neither an element, a string nor a Uint8Array`);
      }
      content = true;
    }
    if (content) {
      this.tags[slot]! |= TAG_CONTENT;
      this.size += 1;
    }
    path.pop();
  }

  #fail(code: WbxmlErrorCode, detail: string): never {
    throw createError(code, detail, this.size, { path: this.#path.join('/') });
  }
}

/** Pass 2: writes the planned document; it trusts the plan and cannot fail. */
class Emitter {
  readonly #out: Uint8Array;
  readonly #tags: number[];
  readonly #lengths: number[];
  #pos = EAS_HEADER.length;
  #t = 0;
  #s = 0;
  #page = 0;

  constructor(out: Uint8Array, plan: Plan) {
    this.#out = out;
    this.#tags = plan.tags;
    this.#lengths = plan.lengths;
  }

  /** Writes the body; returns the end offset, which must equal the planned size. */
  document(root: WbxmlElement): number {
    this.element(root);
    return this.#pos;
  }

  element(el: WbxmlElement): void {
    const out = this.#out;
    const v = this.#tags[this.#t++]!;
    const page = v >> 8;
    if (page !== this.#page) {
      out[this.#pos++] = SWITCH_PAGE;
      out[this.#pos++] = page;
      this.#page = page;
    }
    out[this.#pos++] = v & 0xff;
    if ((v & TAG_CONTENT) === 0) return;
    const children = el.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (typeof c === 'string') {
        if (c.length !== 0) this.#string(c);
      } else if (c instanceof Uint8Array) {
        this.#opaque(c);
      } else {
        this.element(c);
      }
    }
    out[this.#pos++] = END;
  }

  #string(s: string): void {
    const out = this.#out;
    const n = this.#lengths[this.#s++]!;
    let pos = this.#pos;
    out[pos++] = STR_I;
    if (n === s.length) {
      // ASCII: one byte per UTF-16 unit.
      for (let i = 0; i < n; i++) out[pos + i] = s.charCodeAt(i);
    } else {
      textEncoder.encodeInto(s, out.subarray(pos, pos + n));
    }
    pos += n;
    out[pos++] = 0;
    this.#pos = pos;
  }

  #opaque(bytes: Uint8Array): void {
    const out = this.#out;
    out[this.#pos++] = OPAQUE;
    // mb_u_int32 (WAP-192 §5.1): 7 bits per byte, most significant first.
    const len = bytes.length;
    const n = mbUintLength(len);
    let v = len;
    for (let i = n - 1; i >= 0; i--) {
      out[this.#pos + i] = (v & 0x7f) | (i === n - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    this.#pos += n;
    out.set(bytes, this.#pos);
    this.#pos += len;
  }
}

function mbUintLength(n: number): number {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) len++;
  return len;
}

/** UTF-8 length of a string; a lone surrogate counts 3 bytes, as TextEncoder writes U+FFFD for it. */
function utf8Length(s: string): number {
  const len = s.length;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 4 bytes for 2 units
        i++;
      } else {
        n += 2;
      }
    } else n += 2;
  }
  return n;
}

function isElementNode(n: unknown): n is WbxmlElement {
  return (
    typeof n === 'object' &&
    n !== null &&
    !(n instanceof Uint8Array) &&
    typeof (n as WbxmlElement).tag === 'string'
  );
}
