/**
 * Element tree → WBXML in the exact form EAS servers expect (MS-ASWBXML 2.1.2.1): header
 * `03 01 6A 00`, SWITCH_PAGE only when the page changes, STR_I for text, OPAQUE for bytes, and a
 * bare token (no content bit) for an empty element.
 *
 * Two strategies, one result. Most documents (every request the daemon sends) fit a scratch
 * buffer that is kept between calls: one pass writes into it and the result is a copy of the
 * used part. A document larger than the scratch limit (a multi-megabyte Sync or attachment) is
 * measured first and then written once into an exactly-sized buffer, since touching fresh memory
 * — growing a buffer, copying it out — is what costs most at that size.
 */
import { Buffer } from 'node:buffer';
import * as codepages from './codepage-index';
import type { PageTokens } from './codepage-index';
import { createError, type WbxmlErrorCode } from './errors';
import * as tokens from './tokens';
import type { WbxmlElement, WbxmlNode } from './tree';
import * as utf8 from './utf8';

/** Encoder options. */
export interface EncodeOptions {
  /** Deepest nesting accepted (the root is depth 1); guards against cyclic trees. Default 256. */
  readonly maxDepth?: number;
}

// Module-local copies, read once at load: the hot paths must not pay for live-binding access to
// another module's exports, which TS loaders (tsx, vite-node) may compile to getter calls.
const { EAS_HEADER, END, OPAQUE, STR_I, SWITCH_PAGE, TAG_CONTENT } = tokens;
const { pageTokens } = codepages;
const { encodeUtf8Into } = utf8;
const textEncoder = new TextEncoder();

// Small to start: every request the daemon sends is under 1 KB, and the writer doubles it as needed.
const SCRATCH_INITIAL = 4 * 1024;
/** Documents up to this size go through the kept scratch buffer. */
const SCRATCH_LIMIT = 1024 * 1024;
let scratch: Uint8Array = new Uint8Array(SCRATCH_INITIAL);
/** Thrown by the one-pass writer when a document outgrows the scratch limit. */
const OVERFLOW = Symbol('overflow');

/** Encodes a tree as a WBXML 1.3 document. Throws WbxmlError for a tag no code page defines. */
export function encode(root: WbxmlElement, options?: EncodeOptions): Uint8Array {
  const maxDepth = options?.maxDepth ?? 256;
  if (!isElementNode(root)) {
    throw createError('WBXML_ERR_INVALID_TREE', 'the root is not an element', EAS_HEADER.length);
  }
  const w = new ScratchWriter(scratch, new Resolver(maxDepth), SCRATCH_LIMIT);
  try {
    w.element(root);
    return w.buf.slice(0, w.pos);
  } catch (err) {
    if (err !== OVERFLOW) throw err;
  } finally {
    scratch = w.buf;
  }
  const plan = new Plan(new Resolver(maxDepth));
  plan.measure(root);
  const out = allocateUnzeroed(plan.size);
  out.set(EAS_HEADER);
  const end = new Emitter(out, plan).document(root);
  if (end !== plan.size) throw new Error(`wbxml encoder: wrote ${end} of ${plan.size} planned bytes`);
  return out;
}

/** Options of a reusable encoder. */
export interface EncoderOptions extends EncodeOptions {
  /**
   * `encodeChunks` passes an OPAQUE payload of at least this many bytes by reference, as its own
   * chunk; smaller ones are copied among the structural bytes. Default 1024.
   */
  readonly opaqueByReferenceFrom?: number;
}

/**
 * A reusable encoder: its output buffer is kept between calls, so encoding a large document
 * again writes into memory that is already resident instead of faulting in a fresh buffer.
 *
 * **The results are borrowed.** What `encode` and `encodeChunks` return views the encoder's
 * buffer and is valid only **until the next call on the same encoder** (any call, including
 * one that throws): that call overwrites it. Send or copy it before encoding again. Other
 * encoders and the one-shot `encode()` never touch it. One encoder per connection with one
 * request in flight fits: encode, send, await the response, then encode the next request.
 * Concurrent requests need an encoder each. The buffer grows to the largest document encoded
 * and stays that size until `release()`.
 */
export interface Encoder {
  /**
   * The document in one contiguous view of the encoder's buffer, byte-identical to
   * `encode(root)`. Valid until the next call on this encoder.
   */
  encode(root: WbxmlElement): Uint8Array;
  /**
   * The document as chunks whose concatenation is byte-identical to `encode(root)`, without
   * copying large OPAQUE payloads: each of at least `opaqueByReferenceFrom` bytes is itself a
   * chunk (the very `Uint8Array` of the tree, so it must not change until the chunks are sent);
   * the structural bytes between them are views of the encoder's buffer, valid until the next
   * call on this encoder. The total length (for Content-Length) is the sum of the chunks'
   * `byteLength`s. Never returns empty chunks.
   */
  encodeChunks(root: WbxmlElement): Uint8Array[];
  /** Drops the grown buffer (back to 64 KiB); earlier results stay intact. */
  release(): void;
}

/** Creates a reusable encoder; see `Encoder` for how long its results stay valid. */
export function createEncoder(options?: EncoderOptions): Encoder {
  const maxDepth = options?.maxDepth ?? 256;
  const byRefFrom = options?.opaqueByReferenceFrom ?? 1024;
  if (!(byRefFrom >= 1)) throw new TypeError(`opaqueByReferenceFrom must be >= 1, got ${byRefFrom}`);
  let buf: Uint8Array = allocateUnzeroed(SCRATCH_INITIAL);
  const run = (root: WbxmlElement, chunks?: Uint8Array[]): ScratchWriter => {
    if (!isElementNode(root)) {
      throw createError('WBXML_ERR_INVALID_TREE', 'the root is not an element', EAS_HEADER.length);
    }
    const w = new ScratchWriter(
      buf,
      new Resolver(maxDepth),
      Number.POSITIVE_INFINITY,
      chunks,
      chunks ? byRefFrom : Number.POSITIVE_INFINITY,
    );
    try {
      w.element(root);
    } finally {
      buf = w.buf;
    }
    return w;
  };
  return {
    encode(root) {
      const w = run(root);
      return w.buf.subarray(0, w.pos);
    },
    encodeChunks(root) {
      return run(root, []).finish();
    },
    release() {
      buf = allocateUnzeroed(SCRATCH_INITIAL);
    },
  };
}

/** Tag resolution, nesting and error context shared by both strategies. */
class Resolver {
  readonly #maxDepth: number;
  readonly #path: WbxmlElement[] = [];
  #lastNs = '';
  #lastPage: PageTokens | undefined;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Enters an element: returns `page << 8 | token`; `at` is the output offset, for errors. */
  enter(el: WbxmlElement, at: number): number {
    const path = this.#path;
    path.push(el);
    if (path.length > this.#maxDepth) {
      this.fail('WBXML_ERR_DEPTH_EXCEEDED', `element nesting deeper than maxDepth ${this.#maxDepth}`, at);
    }
    let pt = this.#lastPage;
    if (el.ns !== this.#lastNs || pt === undefined) {
      pt = pageTokens(el.ns);
      if (pt === undefined)
        this.fail('WBXML_ERR_UNKNOWN_NAMESPACE', `namespace "${el.ns}" is no EAS code page`, at);
      this.#lastNs = el.ns;
      this.#lastPage = pt;
    }
    const token = pt.tokens.get(el.tag);
    if (token === undefined) {
      this.fail(
        'WBXML_ERR_UNKNOWN_TAG',
        `tag "${el.tag}" is not defined on code page ${pt.page} (${pt.namespace})`,
        at,
      );
    }
    if (!Array.isArray(el.children)) this.fail('WBXML_ERR_INVALID_TREE', 'element has no children array', at);
    return (pt.page << 8) | token;
  }

  leave(): void {
    this.#path.pop();
  }

  fail(code: WbxmlErrorCode, detail: string, at: number): never {
    throw createError(code, detail, at, { path: this.#path.map((e) => e.tag).join('/') });
  }
}

const NUL_TEXT = 'text contains U+0000, which STR_I cannot carry (WAP-192 §5.8.4.1)';
const BAD_CHILD = 'is neither an element, a string nor a Uint8Array';

/**
 * One pass into a kept buffer that grows as needed. The one-shot `encode` caps it at
 * SCRATCH_LIMIT (OVERFLOW past it); an Encoder lets it grow to its largest document. In chunk
 * mode (`chunks` given) an OPAQUE payload of at least `byRefFrom` bytes is not copied: the
 * structural bytes so far and then the payload itself are pushed to `chunks`.
 */
class ScratchWriter {
  buf: Uint8Array;
  pos: number;
  readonly #r: Resolver;
  readonly #limit: number;
  readonly #chunks: Uint8Array[] | undefined;
  readonly #byRefFrom: number;
  /** Start of the structural bytes not yet pushed to #chunks. */
  #flushed = 0;
  /** Payload bytes passed by reference so far: pos + #external is the document offset. */
  #external = 0;
  #page = 0;

  constructor(
    buf: Uint8Array,
    resolver: Resolver,
    limit: number,
    chunks?: Uint8Array[],
    byRefFrom = Number.POSITIVE_INFINITY,
  ) {
    this.buf = buf;
    buf.set(EAS_HEADER);
    this.pos = EAS_HEADER.length;
    this.#r = resolver;
    this.#limit = limit;
    this.#chunks = chunks;
    this.#byRefFrom = byRefFrom;
  }

  /** Chunk mode: pushes the structural bytes after the last payload; returns the chunks. */
  finish(): Uint8Array[] {
    const chunks = this.#chunks!;
    if (this.pos > this.#flushed) chunks.push(this.buf.subarray(this.#flushed, this.pos));
    return chunks;
  }

  element(el: WbxmlElement): void {
    const v = this.#r.enter(el, this.pos + this.#external);
    const page = v >> 8;
    const children = el.children;
    this.#ensure(3);
    const buf = this.buf;
    if (page !== this.#page) {
      buf[this.pos++] = SWITCH_PAGE;
      buf[this.pos++] = page;
      this.#page = page;
    }
    if (!hasContent(children)) {
      buf[this.pos++] = v & 0xff;
      this.#r.leave();
      return;
    }
    buf[this.pos++] = (v & 0xff) | TAG_CONTENT;
    for (let i = 0; i < children.length; i++) {
      const c: WbxmlNode = children[i]!;
      if (typeof c === 'string') {
        if (c.length !== 0) this.#string(c);
      } else if (c instanceof Uint8Array) {
        this.#opaque(c);
      } else if (typeof c === 'object' && c !== null && typeof c.tag === 'string') {
        this.element(c);
      } else {
        this.#r.fail('WBXML_ERR_INVALID_TREE', `child ${i} ${BAD_CHILD}`, this.pos + this.#external);
      }
    }
    this.#ensure(1);
    this.buf[this.pos++] = END;
    this.#r.leave();
  }

  #string(s: string): void {
    this.#ensure(s.length * 3 + 2);
    const n = encodeUtf8Into(s, this.buf, this.pos + 1);
    if (n < 0) this.#r.fail('WBXML_ERR_INVALID_TREE', NUL_TEXT, this.pos + this.#external);
    this.buf[this.pos] = STR_I;
    this.pos += n + 1;
    this.buf[this.pos++] = 0;
  }

  #opaque(bytes: Uint8Array): void {
    const len = bytes.length;
    if (len >= this.#byRefFrom) {
      this.#ensure(6);
      this.buf[this.pos++] = OPAQUE;
      this.pos = writeMbUint(this.buf, this.pos, len);
      const chunks = this.#chunks!;
      chunks.push(this.buf.subarray(this.#flushed, this.pos), bytes);
      this.#flushed = this.pos;
      this.#external += len;
      return;
    }
    this.#ensure(len + 6);
    this.buf[this.pos++] = OPAQUE;
    this.pos = writeMbUint(this.buf, this.pos, len);
    this.buf.set(bytes, this.pos);
    this.pos += len;
  }

  #ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.#limit) throw OVERFLOW;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    // Chunks already pushed keep viewing the old buffer, whose bytes are never written again.
    const next = allocateUnzeroed(Math.min(cap, this.#limit));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Large documents, pass 1: validation, tokens and string sizes, recorded in document order. */
class Plan {
  /** Per element: page << 8 | tag byte (token, plus the content bit). */
  readonly tags: number[] = [];
  /** Per non-empty string child: its UTF-8 length. */
  readonly lengths: number[] = [];
  size = EAS_HEADER.length;
  readonly #r: Resolver;
  #page = 0;

  constructor(resolver: Resolver) {
    this.#r = resolver;
  }

  measure(el: WbxmlElement): void {
    const v = this.#r.enter(el, this.size);
    const page = v >> 8;
    if (page !== this.#page) {
      this.size += 2;
      this.#page = page;
    }
    const slot = this.tags.length;
    this.tags.push(v);
    this.size += 1;
    const children = el.children;
    let content = false;
    for (let i = 0; i < children.length; i++) {
      const c: WbxmlNode = children[i]!;
      if (typeof c === 'string') {
        if (c.length === 0) continue;
        const n = utf8Length(c);
        if (n < 0) this.#r.fail('WBXML_ERR_INVALID_TREE', NUL_TEXT, this.size);
        this.lengths.push(n);
        this.size += n + 2;
      } else if (c instanceof Uint8Array) {
        this.size += 1 + mbUintLength(c.length) + c.length;
      } else if (typeof c === 'object' && c !== null && typeof c.tag === 'string') {
        this.measure(c);
      } else {
        this.#r.fail('WBXML_ERR_INVALID_TREE', `child ${i} ${BAD_CHILD}`, this.size);
      }
      content = true;
    }
    if (content) {
      this.tags[slot]! |= TAG_CONTENT;
      this.size += 1;
    }
    this.#r.leave();
  }
}

/** Large documents, pass 2: writes the planned document; it trusts the plan and cannot fail. */
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
    this.#element(root);
    return this.#pos;
  }

  #element(el: WbxmlElement): void {
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
        out[this.#pos++] = OPAQUE;
        this.#pos = writeMbUint(out, this.#pos, c.length);
        out.set(c, this.#pos);
        this.#pos += c.length;
      } else {
        this.#element(c);
      }
    }
    out[this.#pos++] = END;
  }

  #string(s: string): void {
    const out = this.#out;
    const n = this.#lengths[this.#s++]!;
    out[this.#pos++] = STR_I;
    if (n === s.length && n <= 32) {
      for (let i = 0; i < n; i++) out[this.#pos + i] = s.charCodeAt(i);
    } else {
      textEncoder.encodeInto(s, out.subarray(this.#pos, this.#pos + n));
    }
    this.#pos += n;
    out[this.#pos++] = 0;
  }
}

/** An output buffer whose every byte the caller writes: no zeroing pass over large ones. */
function allocateUnzeroed(size: number): Uint8Array {
  const raw = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(raw.buffer, raw.byteOffset, size);
}

/** mb_u_int32 (WAP-192 §5.1): 7 bits per byte, most significant first. Returns the new offset. */
function writeMbUint(out: Uint8Array, at: number, value: number): number {
  const n = mbUintLength(value);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    out[at + i] = (v & 0x7f) | (i === n - 1 ? 0 : 0x80);
    v = Math.floor(v / 128);
  }
  return at + n;
}

function mbUintLength(n: number): number {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) len++;
  return len;
}

/**
 * UTF-8 length of a string, or -1 when it contains U+0000. Native for pure ASCII; otherwise
 * counted here, a lone surrogate as 3 bytes since TextEncoder writes U+FFFD for it.
 */
function utf8Length(s: string): number {
  if (s.includes('\u0000')) return -1;
  const len = s.length;
  if (Buffer.byteLength(s, 'utf8') === len) return len;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      // A valid pair is 4 bytes for 2 units; a lone high surrogate is U+FFFD, 3 bytes.
      n += 2;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    } else {
      n += 2;
    }
  }
  return n;
}

/** EAS writes `<X/>` and `<X></X>` alike as the bare token: empty strings are no content. */
function hasContent(children: readonly WbxmlNode[]): boolean {
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c !== 'string' || c.length > 0) return true;
  }
  return false;
}

function isElementNode(n: unknown): n is WbxmlElement {
  return (
    typeof n === 'object' &&
    n !== null &&
    !(n instanceof Uint8Array) &&
    typeof (n as WbxmlElement).tag === 'string'
  );
}
