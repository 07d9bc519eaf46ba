/**
 * Element tree → WBXML in the exact form EAS servers expect (MS-ASWBXML 2.1.2.1): header
 * `03 01 6A 00`, SWITCH_PAGE only when the page changes, STR_I for text, OPAQUE for bytes, and a
 * bare token (no content bit) for an empty element.
 *
 * One writer for every API: a single pass into a buffer that is kept between calls (warm pages;
 * faulting in fresh memory is what costs most on large documents) and grows geometrically. The
 * one-shot `encode()` then hands out the bytes: a small document (<= 2 KiB) copied into a shared
 * slab (no ArrayBuffer per call), a mid-size one copied into a buffer of its own, and a
 * large one (>= 64 KiB) that fills at least half the kept buffer gets that buffer itself (a fresh
 * one is kept instead). No result is ever written again by the encoder; see `encode` for what
 * callers may assume about `result.buffer`. The kept buffer is held strongly up to 1 MiB (every
 * request the daemon sends) and beyond that only while large documents keep coming.
 * Text goes through Buffer#utf8Write (native, no per-call view or result object) after an
 * inline loop for short ASCII strings.
 */
import { Buffer } from 'node:buffer';
import * as codepages from './codepage-index';
import type { PageTokens } from './codepage-index';
import { createError, elementPath, type WbxmlErrorCode } from './errors';
import * as tokens from './tokens';
import { type WbxmlElement, type WbxmlNode, WbxmlText } from './tree';

/** Encoder options. */
export interface EncodeOptions {
  /** Deepest nesting accepted (the root is depth 1); guards against cyclic trees. Default 256. */
  readonly maxDepth?: number;
}

// Module-local copies, read once at load: the hot paths must not pay for live-binding access to
// another module's exports, which TS loaders (tsx, vite-node) may compile to getter calls.
const { EAS_HEADER, END, OPAQUE, STR_I, SWITCH_PAGE, TAG_CONTENT } = tokens;
const { pageTokens } = codepages;

// Small to start: every request the daemon sends is under 1 KB, and the writer doubles it as needed.
const SCRATCH_INITIAL = 4 * 1024;
/**
 * The one-shot encode keeps its buffer up to this size for good; a larger one only while large
 * documents keep coming (BIG_SCRATCH_IDLE_MS after the last), so one big Sync does not pin
 * megabytes. (A WeakRef was tried: external-memory GCs cleared it between calls, and regrowing
 * 4 KiB → 8 MiB each time cost more than the encode.)
 */
const SCRATCH_STRONG_LIMIT = 1024 * 1024;
/**
 * From this size on, a one-shot result that fills at least half the kept buffer is that buffer
 * (handed over, a fresh one kept instead) rather than a copy of it.
 */
const HANDOVER_FROM = 64 * 1024;
const BIG_SCRATCH_IDLE_MS = 2000;
let scratch: Uint8Array = allocateUnzeroed(SCRATCH_INITIAL);
const EMPTY = new Uint8Array(0);
/** The one-shot encode's writer, kept between calls; busy while a call runs. */
let oneShot: ScratchWriter | undefined;
let oneShotBusy = false;
let bigScratch: Uint8Array | undefined;
let bigScratchUsed = 0;
let bigScratchTimer: ReturnType<typeof setTimeout> | undefined;

/** Keeps the big scratch while it is used; the (unref'd) timer drops it once idle. */
function keepBigScratch(buf: Uint8Array): void {
  bigScratch = buf;
  bigScratchUsed = Date.now();
  if (bigScratchTimer !== undefined) return;
  const check = (): void => {
    const idle = Date.now() - bigScratchUsed;
    if (idle >= BIG_SCRATCH_IDLE_MS) {
      bigScratch = undefined;
      bigScratchTimer = undefined;
    } else {
      bigScratchTimer = setTimeout(check, BIG_SCRATCH_IDLE_MS - idle);
      bigScratchTimer.unref?.();
    }
  };
  bigScratchTimer = setTimeout(check, BIG_SCRATCH_IDLE_MS);
  bigScratchTimer.unref?.();
}
/**
 * Small results are carved out of a shared slab, as Node's `Buffer.allocUnsafe` pool does: a fresh
 * ArrayBuffer per result cost ~0.5–0.7 µs, a fifth of a 1 KB encode. The slab is bump-allocated
 * and never written twice, so a result is never overwritten, but its `buffer` is shared with other
 * results (`byteOffset` is not 0, `buffer.byteLength` exceeds `byteLength`) and a result kept for
 * long keeps its slab (at most SLAB_SIZE) alive. Results above POOLED_MAX get their own buffer.
 */
const SLAB_SIZE = 32 * 1024;
const POOLED_MAX = 2 * 1024;
let slab: Uint8Array = allocateUnzeroed(SLAB_SIZE);
let slabPos = 0;

/** The result: src[0, n) copied into the slab, or into an ArrayBuffer of its own when large. */
function ownedCopy(src: Uint8Array, n: number): Uint8Array {
  if (n <= POOLED_MAX) {
    if (slabPos + n > SLAB_SIZE) {
      slab = allocateUnzeroed(SLAB_SIZE);
      slabPos = 0;
    }
    const at = slabPos;
    // 8-byte aligned starts, as Node's pool keeps them.
    slabPos = (at + n + 7) & ~7;
    slab.set(src.subarray(0, n), at);
    return new Uint8Array(slab.buffer, slab.byteOffset + at, n);
  }
  if (n <= 64 * 1024) return src.slice(0, n);
  const out = allocateUnzeroed(n);
  out.set(src.subarray(0, n));
  return out;
}

/**
 * Encodes a tree as a WBXML 1.3 document. Throws WbxmlError for a tag no code page defines.
 *
 * The result is the caller's: nothing here writes to it again. It is a plain `Uint8Array`
 * **view**: a small one shares its ArrayBuffer (a 32 KiB slab) with other results, a large one
 * may sit in a buffer up to twice its size. Use `byteOffset`/`byteLength` (as `Buffer.from(r.buffer,
 * r.byteOffset, r.byteLength)` does), never `r.buffer` alone; to transfer the ArrayBuffer, or to
 * keep a small result for hours without keeping its slab alive, keep `r.slice()` instead.
 */
export function encode(root: WbxmlElement, options?: EncodeOptions): Uint8Array {
  const maxDepth = options?.maxDepth ?? 256;
  if (!isElementNode(root)) {
    throw createError('WBXML_ERR_INVALID_TREE', 'the root is not an element', EAS_HEADER.length);
  }
  // The kept writer and buffer, unless a tree's getter re-enters encode() while they are busy:
  // then a writer and buffer of its own, so the outer document's bytes are not overwritten.
  oneShot ??= new ScratchWriter();
  const kept = !oneShotBusy;
  const w = kept ? oneShot : new ScratchWriter();
  oneShotBusy = true;
  w.start(kept ? (bigScratch ?? scratch) : allocateUnzeroed(SCRATCH_INITIAL), maxDepth);
  let handedOver = false;
  try {
    w.element(root);
    const buf = w.buf;
    const n = w.pos;
    if (kept && n >= HANDOVER_FROM && n * 2 >= buf.length) {
      // A large document that fills at least half its buffer gets the buffer itself: no copy
      // (~0.6 ms for 5 MB). The buffer is the caller's from now on, never written again here.
      handedOver = true;
      return new Uint8Array(buf.buffer, buf.byteOffset, n);
    }
    return ownedCopy(buf, n);
  } finally {
    if (kept) {
      let next = w.buf;
      const n = w.pos;
      // After a hand-over, or a copy out of a buffer too large to hand over: the next document
      // most likely has a similar size, so a buffer with room for it and an eighth more, which it
      // neither outgrows (a copy per doubling) nor leaves half empty (then it is handed over).
      if (handedOver || (n >= HANDOVER_FROM && n * 2 < next.length && next.length <= SCRATCH_STRONG_LIMIT)) {
        const size = n + (n >>> 3);
        next = allocateUnzeroed(size + (4096 - (size % 4096)));
        if (handedOver) bigScratch = undefined;
      }
      if (next.length <= SCRATCH_STRONG_LIMIT) scratch = next;
      else keepBigScratch(next);
      oneShotBusy = false;
      w.done();
      // The writer must not keep a handed-over buffer (the caller's result) alive.
      w.buf = EMPTY;
    }
  }
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
  const writer = new ScratchWriter();
  let busy = false;
  const run = (root: WbxmlElement, chunks?: Uint8Array[]): ScratchWriter => {
    if (!isElementNode(root)) {
      throw createError('WBXML_ERR_INVALID_TREE', 'the root is not an element', EAS_HEADER.length);
    }
    // One writer and buffer per encoder, reset per call; if a tree's getter re-enters this
    // encoder mid-document, that call gets a writer and buffer of its own.
    const kept = !busy;
    const w = kept ? writer : new ScratchWriter();
    busy = true;
    w.start(
      kept ? buf : allocateUnzeroed(SCRATCH_INITIAL),
      maxDepth,
      chunks,
      chunks ? byRefFrom : Number.POSITIVE_INFINITY,
    );
    try {
      w.element(root);
    } finally {
      if (kept) {
        buf = w.buf;
        busy = false;
        w.done();
      }
    }
    return w;
  };
  return {
    encode(root) {
      const w = run(root);
      return new Uint8Array(w.buf.buffer, w.buf.byteOffset, w.pos);
    },
    encodeChunks(root) {
      const chunks: Uint8Array[] = [];
      return run(root, chunks).finish(chunks);
    },
    release() {
      buf = allocateUnzeroed(SCRATCH_INITIAL);
    },
  };
}

/** Strings up to this length are tried as ASCII by hand before the native UTF-8 writer. */
const SHORT_TEXT = 48;

/**
 * Node's native writers, called on plain Uint8Arrays: Buffer#utf8Write encodes straight into the
 * buffer (no view or result object per call, unlike TextEncoder#encodeInto), Buffer#indexOf is memchr.
 */
const utf8Write = (Buffer.prototype as unknown as { utf8Write: (s: string, offset: number) => number })
  .utf8Write;
const bufferIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, from: number) => number;

const NUL_TEXT = 'text contains U+0000, which STR_I cannot carry (WAP-192 §5.8.4.1)';
const BAD_CHILD = 'is neither an element, a string, a WbxmlText nor a Uint8Array';

/**
 * One pass into a kept buffer that grows as needed. In chunk mode (`chunks` given) an OPAQUE
 * payload of at least `byRefFrom` bytes is not copied: the structural bytes so far and then the
 * payload itself are pushed to `chunks`.
 */
class ScratchWriter {
  buf: Uint8Array = EMPTY;
  pos = 0;
  #chunks: Uint8Array[] | undefined;
  #byRefFrom = Number.POSITIVE_INFINITY;
  /** Start of the structural bytes not yet pushed to #chunks. */
  #flushed = 0;
  /** Payload bytes passed by reference so far: pos + #external is the document offset. */
  #external = 0;
  #page = 0;
  #maxDepth = 256;
  /** The open elements: nesting depth, and the element path in error messages. */
  readonly #path: WbxmlElement[] = [];
  /** Per open element: the index of its next child to write. */
  readonly #index: number[] = [];
  /** Per open element: the offset after its tag; still there at its end means no content. */
  readonly #bodyAt: number[] = [];
  #lastNs = '';
  #lastPage: PageTokens | undefined;

  /**
   * Readies the writer for a document into `buf` (kept between calls: allocating a writer and
   * its path per call was a measurable part of a 1 KB encode).
   */
  start(
    buf: Uint8Array,
    maxDepth: number,
    chunks?: Uint8Array[],
    byRefFrom = Number.POSITIVE_INFINITY,
  ): void {
    this.buf = buf;
    buf[0] = EAS_HEADER[0]!;
    buf[1] = EAS_HEADER[1]!;
    buf[2] = EAS_HEADER[2]!;
    buf[3] = EAS_HEADER[3]!;
    this.pos = EAS_HEADER.length;
    this.#chunks = chunks;
    this.#byRefFrom = byRefFrom;
    this.#flushed = 0;
    this.#external = 0;
    this.#page = 0;
    this.#maxDepth = maxDepth;
    // Balanced after a document that encoded; left over only after one that threw.
    if (this.#path.length !== 0) this.#path.length = 0;
  }

  /** Drops the references to the last document's tree and chunks. */
  done(): void {
    this.#chunks = undefined;
    if (this.#path.length !== 0) this.#path.length = 0;
  }

  fail(code: WbxmlErrorCode, detail: string, at: number): never {
    throw createError(code, detail, at, { path: elementPath(this.#path.map((e) => e.tag)) });
  }

  /** Chunk mode: pushes the structural bytes after the last payload; returns the chunks. */
  finish(chunks: Uint8Array[]): Uint8Array[] {
    if (this.pos > this.#flushed) chunks.push(this.#view(this.#flushed, this.pos));
    return chunks;
  }

  /** A plain Uint8Array view of the buffer (callers get no Buffer methods to rely on). */
  #view(start: number, end: number): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, end - start);
  }

  /**
   * Writes `root` and everything in it. A loop over an explicit stack, not recursion: one hot
   * function that V8 optimises once, whatever document it first meets (the recursive walk, first
   * optimised on a 5 MB tree, ran 1 KB documents up to 5x slower afterwards).
   */
  element(root: WbxmlElement): void {
    const path = this.#path;
    const index = this.#index;
    const bodyAt = this.#bodyAt;
    if (!this.#open(root)) return;
    // The open element's children and next index live in locals; #index keeps a parent's only
    // while a child is open (one write per element, not one per child).
    let children = root.children;
    let i = 0;
    for (;;) {
      if (i === children.length) {
        let depth = path.length;
        if (this.pos === bodyAt[depth - 1]) {
          // Nothing written inside (only empty strings): the bare token, as EAS writes `<X/>`.
          this.buf[this.pos - 1] = this.buf[this.pos - 1]! & ~TAG_CONTENT;
        } else {
          if (this.pos === this.buf.length) this.#ensure(1);
          this.buf[this.pos++] = END;
        }
        path.pop();
        depth--;
        if (depth === 0) return;
        children = path[depth - 1]!.children;
        i = index[depth - 1]!;
        continue;
      }
      const c: WbxmlNode = children[i++]!;
      if (typeof c === 'string') {
        if (c.length !== 0) this.#string(c);
      } else if (typeof c === 'object' && c !== null && typeof (c as WbxmlElement).tag === 'string') {
        index[path.length - 1] = i;
        if (this.#open(c as WbxmlElement)) {
          children = (c as WbxmlElement).children;
          i = 0;
        }
      } else if (c instanceof Uint8Array) {
        this.#opaque(c);
      } else if (c instanceof WbxmlText) {
        this.#lazyText(c);
      } else {
        this.fail('WBXML_ERR_INVALID_TREE', `child ${i - 1} ${BAD_CHILD}`, this.pos + this.#external);
      }
    }
  }

  /**
   * Writes an element's tag (and SWITCH_PAGE when its page differs). Returns true, with the
   * element left open on the path, when it has content; an empty one is finished here.
   */
  #open(el: WbxmlElement): boolean {
    const at = this.pos + this.#external;
    const path = this.#path;
    path.push(el);
    if (path.length > this.#maxDepth) {
      this.fail('WBXML_ERR_DEPTH_EXCEEDED', `element nesting deeper than maxDepth ${this.#maxDepth}`, at);
    }
    let pt = this.#lastPage;
    const ns = el.ns;
    if (ns !== this.#lastNs || pt === undefined) {
      pt = pageTokens(ns);
      if (pt === undefined)
        this.fail('WBXML_ERR_UNKNOWN_NAMESPACE', `namespace "${ns}" is no EAS code page`, at);
      this.#lastNs = ns;
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
    const children = el.children;
    if (!Array.isArray(children)) this.fail('WBXML_ERR_INVALID_TREE', 'element has no children array', at);
    if (this.pos + 3 > this.buf.length) this.#ensure(3);
    const buf = this.buf;
    const page = pt.page;
    if (page !== this.#page) {
      buf[this.pos++] = SWITCH_PAGE;
      buf[this.pos++] = page;
      this.#page = page;
    }
    if (children.length === 0) {
      buf[this.pos++] = token;
      path.pop();
      return false;
    }
    // Content bit set now and cleared at the end if the children wrote nothing (no pre-scan).
    buf[this.pos++] = token | TAG_CONTENT;
    this.#bodyAt[path.length - 1] = this.pos;
    return true;
  }

  #string(s: string): void {
    const len = s.length;
    this.#ensure(len * 3 + 2);
    const buf = this.buf;
    const start = this.pos + 1;
    buf[this.pos] = STR_I;
    let i = 0;
    if (len <= SHORT_TEXT) {
      // Short ASCII (SyncKey, ServerId, Status, dates) by hand: cheaper than a native call.
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80 || c === 0) break;
        buf[start + i] = c;
      }
    }
    let n = len;
    if (i !== len) {
      // Lone surrogates become U+FFFD, as TextEncoder writes them.
      n = utf8Write.call(buf, s, start);
      // U+0000 is the only character whose UTF-8 holds a 00 byte; the terminator bounds the search.
      buf[start + n] = 0;
      if (bufferIndexOf.call(buf, 0, start) !== start + n) {
        this.fail('WBXML_ERR_INVALID_TREE', NUL_TEXT, this.pos + this.#external);
      }
    }
    buf[start + n] = 0;
    this.pos = start + n + 1;
  }

  /** Text left as UTF-8 by the decoder: copied as is (validated there, and NUL-free). */
  #lazyText(t: WbxmlText): void {
    const u = t.utf8;
    const len = u.length;
    if (len === 0) return;
    this.#ensure(len + 2);
    const buf = this.buf;
    buf[this.pos] = STR_I;
    buf.set(u, this.pos + 1);
    buf[this.pos + 1 + len] = 0;
    this.pos += len + 2;
  }

  #opaque(bytes: Uint8Array): void {
    const len = bytes.length;
    if (len >= this.#byRefFrom) {
      this.#ensure(6);
      this.buf[this.pos++] = OPAQUE;
      this.pos = writeMbUint(this.buf, this.pos, len);
      const chunks = this.#chunks!;
      chunks.push(this.#view(this.#flushed, this.pos), bytes);
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
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    // Chunks already pushed keep viewing the old buffer, whose bytes are never written again.
    const next = allocateUnzeroed(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
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

function isElementNode(n: unknown): n is WbxmlElement {
  return (
    typeof n === 'object' &&
    n !== null &&
    !(n instanceof Uint8Array) &&
    !(n instanceof WbxmlText) &&
    typeof (n as WbxmlElement).tag === 'string'
  );
}
