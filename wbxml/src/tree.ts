/**
 * The element tree the EAS layer builds and reads without touching bytes.
 *
 * An element is (namespace, tag) — the namespace is the EAS code page's name ("AirSync",
 * "Email", "Calendar", …, see codepages.ts) — with children that are elements, text, or
 * opaque bytes. OPAQUE content (MIME bodies, ConversationId) stays a Uint8Array end to end
 * (MS-ASWBXML 2.1.2.1.1): it never passes through a string.
 */
export interface WbxmlElement {
  readonly ns: string;
  readonly tag: string;
  readonly children: WbxmlNode[];
}

export type WbxmlNode = WbxmlElement | string | Uint8Array | WbxmlText;

const UTF8_DECODER = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();

/**
 * Text left as UTF-8: what `decode(bytes, limits, { lazyTextFrom })` makes of a long inline
 * string. It holds the (already validated) bytes as a range of the decoder's input and makes a
 * string only when read, **each time** `value` is read, keeping none: V8 stores a string with any
 * character above U+00FF at 2 bytes per character (2x the UTF-8 of mostly-ASCII mail), and a
 * consumer that reads a body once for a preview should not leave the whole body behind in the
 * tree. Read it through the tree helpers (`textOf`, `text`, `bytes`) or `value`; the encoder
 * copies its bytes as they are.
 *
 * It views the input: the input stays in memory as long as the node does, and must not be
 * overwritten while the tree is in use.
 */
export class WbxmlText {
  readonly #src: Uint8Array;
  readonly #start: number;
  readonly #end: number;

  /** `src[start, end)` must be valid UTF-8 without U+0000 (the decoder checks it). */
  constructor(src: Uint8Array, start: number, end: number) {
    this.#src = src;
    this.#start = start;
    this.#end = end;
  }

  /** The text, decoded from the bytes on every read (read it once and keep what you need). */
  get value(): string {
    return UTF8_DECODER.decode(this.utf8);
  }

  /** The UTF-8 bytes: a view of the decoder's input (do not modify). */
  get utf8(): Uint8Array {
    return this.#src.subarray(this.#start, this.#end);
  }

  /** Length of the UTF-8 in bytes. */
  get byteLength(): number {
    return this.#end - this.#start;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}

export function isElement(node: WbxmlNode | undefined): node is WbxmlElement {
  return (
    typeof node === 'object' && node !== null && !(node instanceof Uint8Array) && !(node instanceof WbxmlText)
  );
}

/** True for text children: strings and undecoded `WbxmlText`. */
export function isText(node: WbxmlNode | undefined): node is string | WbxmlText {
  return typeof node === 'string' || node instanceof WbxmlText;
}

type Child = WbxmlNode | number | bigint | null | undefined | false | readonly Child[];

/**
 * Builds an element. Numbers become their decimal text; null/undefined/false children are
 * dropped and arrays are flattened, so optional parts read naturally:
 * `el('AirSync', 'Collection', el('AirSync', 'SyncKey', key), withBody && el(...))`.
 */
export function el(ns: string, tag: string, ...children: Child[]): WbxmlElement {
  return build(ns, tag, children);
}

/** `children` is the caller's fresh rest array: kept as is when it needs no flattening. */
function build(ns: string, tag: string, children: Child[]): WbxmlElement {
  let plain = true;
  for (let i = 0; i < children.length && plain; i++) {
    const c = children[i];
    plain = typeof c === 'string' || (typeof c === 'object' && c !== null && !Array.isArray(c));
  }
  if (plain) return { ns, tag, children: children as WbxmlNode[] };
  const out: WbxmlNode[] = [];
  for (let i = 0; i < children.length; i++) pushChild(out, children[i]);
  return { ns, tag, children: out };
}

/** Module-level, not a closure per call: a Sync request builds a dozen elements per change. */
function pushChild(out: WbxmlNode[], c: Child): void {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) {
    for (let i = 0; i < c.length; i++) pushChild(out, c[i]);
  } else if (typeof c === 'number' || typeof c === 'bigint') {
    out.push(String(c));
  } else {
    out.push(c as WbxmlNode);
  }
}

/** A namespace-bound builder: `const as = ns('AirSync'); as('Sync', as('Collections'))`. */
export function ns(namespace: string): (tag: string, ...children: Child[]) => WbxmlElement {
  return (tag, ...children) => build(namespace, tag, children);
}

/** Child elements named `tag` (in `namespace` when given), in document order. */
export function all(parent: WbxmlElement | undefined, tag: string, namespace?: string): WbxmlElement[] {
  if (!parent) return [];
  const out: WbxmlElement[] = [];
  for (const c of parent.children) {
    if (isElement(c) && c.tag === tag && (namespace === undefined || c.ns === namespace)) out.push(c);
  }
  return out;
}

/** The first child element named `tag`, or undefined. */
export function child(
  parent: WbxmlElement | undefined,
  tag: string,
  namespace?: string,
): WbxmlElement | undefined {
  if (!parent) return undefined;
  for (const c of parent.children) {
    if (isElement(c) && c.tag === tag && (namespace === undefined || c.ns === namespace)) return c;
  }
  return undefined;
}

/** Follows a path of tags: `path(resp, 'Collections', 'Collection')`. */
export function path(parent: WbxmlElement | undefined, ...tags: string[]): WbxmlElement | undefined {
  let cur = parent;
  for (const t of tags) cur = child(cur, t);
  return cur;
}

/**
 * The element's text content: concatenated string children (a `WbxmlText` decoded); opaque bytes
 * decode as UTF-8.
 */
export function textOf(element: WbxmlElement | undefined): string | undefined {
  if (!element) return undefined;
  let s = '';
  for (const c of element.children) {
    if (typeof c === 'string') s += c;
    else if (c instanceof WbxmlText) s += c.value;
    else if (c instanceof Uint8Array) s += UTF8_DECODER.decode(c);
  }
  return s;
}

/** Text of the first child named `tag`. */
export function text(parent: WbxmlElement | undefined, tag: string, namespace?: string): string | undefined {
  return textOf(child(parent, tag, namespace));
}

/** Integer value of the first child named `tag`; undefined when absent or not an integer. */
export function int(parent: WbxmlElement | undefined, tag: string, namespace?: string): number | undefined {
  const t = text(parent, tag, namespace)?.trim();
  if (t === undefined || !/^-?\d+$/.test(t)) return undefined;
  return Number.parseInt(t, 10);
}

/** Opaque bytes of the first child named `tag` (text children are UTF-8 encoded). */
export function bytes(
  parent: WbxmlElement | undefined,
  tag: string,
  namespace?: string,
): Uint8Array | undefined {
  const c = child(parent, tag, namespace);
  if (!c) return undefined;
  const parts = c.children.map((x) =>
    x instanceof Uint8Array
      ? x
      : typeof x === 'string'
        ? UTF8_ENCODER.encode(x)
        : x instanceof WbxmlText
          ? lazyBytes(x)
          : new Uint8Array(0),
  );
  if (parts.length === 1) return parts[0];
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A copy of a WbxmlText's UTF-8 (the caller must not alias the decoder's input). */
function lazyBytes(t: WbxmlText): Uint8Array {
  return new Uint8Array(t.utf8);
}

/** True when a child named `tag` is present (EAS uses empty elements as flags, e.g. MoreAvailable). */
export function has(parent: WbxmlElement | undefined, tag: string, namespace?: string): boolean {
  return child(parent, tag, namespace) !== undefined;
}
