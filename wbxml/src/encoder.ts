/**
 * Element tree → WBXML in the exact form EAS servers expect (MS-ASWBXML 2.1.2.1): header
 * `03 01 6A 00`, SWITCH_PAGE only when the page changes, STR_I for text, OPAQUE for bytes, and a
 * bare token (no content bit) for an empty element. Output goes into one growable buffer that
 * is reused between calls, so a small document costs one allocation: the returned copy.
 */
import { type PageTokens, pageTokens } from './codepage-index';
import { createError, type WbxmlErrorCode } from './errors';
import { EAS_HEADER, END, OPAQUE, STR_I, SWITCH_PAGE, TAG_CONTENT } from './tokens';
import type { WbxmlElement, WbxmlNode } from './tree';
import { encodeUtf8Into } from './utf8';

/** Encoder options. */
export interface EncodeOptions {
  /** Deepest nesting accepted (the root is depth 1); guards against cyclic trees. Default 256. */
  readonly maxDepth?: number;
}

const INITIAL_CAPACITY = 16 * 1024;
/** Scratch buffers that grew past this are not kept between calls. */
const KEEP_CAPACITY = 1024 * 1024;
let scratch: Uint8Array = new Uint8Array(INITIAL_CAPACITY);

/** Encodes a tree as a WBXML 1.3 document. Throws WbxmlError for a tag no code page defines. */
export function encode(root: WbxmlElement, options?: EncodeOptions): Uint8Array {
  const w = new Writer(scratch, options?.maxDepth ?? 256);
  try {
    w.document(root);
    return w.buf.slice(0, w.pos);
  } finally {
    if (w.buf.length <= KEEP_CAPACITY) scratch = w.buf;
  }
}

class Writer {
  buf: Uint8Array;
  pos = 0;
  readonly #maxDepth: number;
  #page = 0;
  #lastNs = '';
  #lastPage: PageTokens | undefined;
  readonly #path: WbxmlElement[] = [];

  constructor(buf: Uint8Array, maxDepth: number) {
    this.buf = buf;
    this.#maxDepth = maxDepth;
  }

  document(root: WbxmlElement): void {
    this.#ensure(EAS_HEADER.length);
    for (const b of EAS_HEADER) this.buf[this.pos++] = b;
    if (!isElementNode(root)) this.#fail('WBXML_ERR_INVALID_TREE', 'the root is not an element');
    this.#element(root);
  }

  #element(el: WbxmlElement): void {
    const path = this.#path;
    path.push(el);
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
    const children = el.children;
    if (!Array.isArray(children)) this.#fail('WBXML_ERR_INVALID_TREE', 'element has no children array');
    const hasContent = hasNonEmptyContent(children);
    this.#ensure(3);
    const buf = this.buf;
    if (pt.page !== this.#page) {
      buf[this.pos++] = SWITCH_PAGE;
      buf[this.pos++] = pt.page;
      this.#page = pt.page;
    }
    if (!hasContent) {
      buf[this.pos++] = token;
      path.pop();
      return;
    }
    buf[this.pos++] = token | TAG_CONTENT;
    for (let i = 0; i < children.length; i++) {
      const c: WbxmlNode = children[i]!;
      if (typeof c === 'string') this.#string(c);
      else if (c instanceof Uint8Array) this.#opaque(c);
      else if (isElementNode(c)) this.#element(c);
      else
        this.#fail('WBXML_ERR_INVALID_TREE', `child ${i} is neither an element, a string nor a Uint8Array`);
    }
    this.#ensure(1);
    this.buf[this.pos++] = END;
    path.pop();
  }

  #string(s: string): void {
    if (s.length === 0) return;
    // STR_I is NUL-terminated (WAP-192 §5.8.4.1): U+0000 cannot be carried as text.
    if (s.includes('\u0000'))
      this.#fail('WBXML_ERR_INVALID_TREE', 'text contains U+0000, which STR_I cannot carry');
    this.#ensure(s.length * 3 + 2);
    this.buf[this.pos++] = STR_I;
    this.pos += encodeUtf8Into(s, this.buf, this.pos);
    this.buf[this.pos++] = 0;
  }

  #opaque(bytes: Uint8Array): void {
    this.#ensure(bytes.length + 6);
    const buf = this.buf;
    buf[this.pos++] = OPAQUE;
    this.#mbUint(bytes.length);
    buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** mb_u_int32 (WAP-192 §5.1): 7 bits per byte, most significant first. */
  #mbUint(n: number): void {
    let len = 1;
    for (let v = n; v >= 0x80; v = Math.floor(v / 128)) len++;
    const buf = this.buf;
    let v = n;
    for (let i = len - 1; i >= 0; i--) {
      buf[this.pos + i] = (v & 0x7f) | (i === len - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    this.pos += len;
  }

  #ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  #fail(code: WbxmlErrorCode, detail: string): never {
    throw createError(code, detail, this.pos, { path: this.#path.map((e) => e.tag).join('/') });
  }
}

function isElementNode(n: unknown): n is WbxmlElement {
  return (
    typeof n === 'object' &&
    n !== null &&
    !(n instanceof Uint8Array) &&
    typeof (n as WbxmlElement).tag === 'string'
  );
}

/** EAS writes `<X/>` and `<X></X>` alike as the bare token: empty strings are no content. */
function hasNonEmptyContent(children: readonly WbxmlNode[]): boolean {
  for (const c of children) {
    if (typeof c !== 'string' || c.length > 0) return true;
  }
  return false;
}
