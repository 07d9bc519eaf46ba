import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mailSync } from '../scripts/sample-documents';
import {
  CODE_PAGES,
  createEncoder,
  el,
  encode,
  isElement,
  WbxmlError,
  type WbxmlElement,
  type WbxmlNode,
} from '../src/index';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ALL_TAGS = CODE_PAGES.flatMap((p) => p.tags.map((t) => ({ ns: p.namespace, tag: t.name })));
const anyTag = fc.constantFrom(...ALL_TAGS);
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\u0000'));
// Sizes around the by-reference threshold used below (64) and mb_u_int32 length classes.
const opaque = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 80 }),
  fc.uint8Array({ minLength: 120, maxLength: 20_000 }),
);

/** Mixed content: text and opaque between elements; no adjacent text (it would not round-trip). */
const mixedTree = fc.letrec<{ node: WbxmlElement }>((tie) => ({
  node: fc
    .record({
      t: anyTag,
      kids: fc.array(fc.oneof({ depthSize: 'small' }, text, opaque, tie('node')), { maxLength: 5 }),
    })
    .map(({ t, kids }) => {
      const children: WbxmlNode[] = [];
      for (const k of kids) {
        if (typeof k === 'string' && typeof children[children.length - 1] === 'string') continue;
        children.push(k);
      }
      return { ...t, children };
    }),
})).node;

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c)));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function* opaques(n: WbxmlElement): Generator<Uint8Array> {
  for (const c of n.children) {
    if (c instanceof Uint8Array) yield c;
    else if (isElement(c)) yield* opaques(c);
  }
}

describe('createEncoder().encode', () => {
  it('is byte-identical to encode() for random trees, one encoder reused across all of them', () => {
    const enc = createEncoder();
    fc.assert(
      fc.property(mixedTree, (t) => {
        expect(same(enc.encode(t), encode(t))).toBe(true);
      }),
      { numRuns: 400, seed: 20270 },
    );
  });

  it('is byte-identical for documents far past the one-shot scratch limit, growing and shrinking', () => {
    const enc = createEncoder();
    for (const size of [5 * 1024 * 1024, 2000, 2 * 1024 * 1024, 250 * 1024, 5 * 1024 * 1024]) {
      const t = mailSync(size);
      expect(same(enc.encode(t), encode(t))).toBe(true);
    }
  });

  it('reuses its buffer: a result is a view overwritten by the next call on the same encoder', () => {
    const enc = createEncoder();
    const a = el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'aaaaaaaa'));
    const b = el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'bbbbbbbb'));
    const first = enc.encode(a);
    const copy = Uint8Array.from(first);
    const second = enc.encode(b);
    expect(second.buffer).toBe(first.buffer);
    expect(same(first, copy)).toBe(false);
    expect(same(first, encode(b))).toBe(true);
  });

  it('is not invalidated by other encoders or by the one-shot encode()', () => {
    const one = createEncoder();
    const other = createEncoder();
    const a = el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'aaaaaaaa'));
    const b = el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'bbbbbbbb'));
    const first = one.encode(a);
    const expected = encode(a);
    other.encode(b);
    other.encodeChunks(mailSync(300 * 1024));
    encode(b);
    encode(mailSync(2 * 1024 * 1024));
    expect(same(first, expected)).toBe(true);
  });

  it('one-shot results are never overwritten: small ones held across slabs and large documents', () => {
    // Small results share slabs (docs/wbxml.md, one-shot results): thousands held while more
    // documents of every size are encoded, each must keep the bytes it had.
    const held: { out: Uint8Array; copy: Buffer }[] = [];
    const large: { out: Uint8Array; copy: Buffer }[] = [];
    const keep = (out: Uint8Array) => large.push({ out, copy: Buffer.from(out) });
    for (let i = 0; i < 3000; i++) {
      const t = el('AirSync', 'Sync', el('AirSync', 'SyncKey', `${i}:${'k'.repeat(i % 700)}`));
      const out = encode(t);
      held.push({ out, copy: Buffer.from(out) });
      if (i % 500 === 0) keep(encode(mailSync(300 * 1024 + i)));
      if (i % 1000 === 0) keep(encode(mailSync(2 * 1024 * 1024 + i)));
    }
    for (const { out, copy } of held) expect(Buffer.from(out).equals(copy)).toBe(true);
    // Writing into one result (the caller's to change) touches no other.
    for (const { out } of held.slice(0, 50)) out.fill(0xee);
    for (const { out, copy } of held.slice(50)) expect(Buffer.from(out).equals(copy)).toBe(true);
    for (const { out, copy } of large) expect(Buffer.from(out).equals(copy)).toBe(true);
  });

  it('one-shot results: small ones are views of a shared slab, large ones own their buffer', () => {
    const t = el('AirSync', 'Sync', el('AirSync', 'SyncKey', '1'));
    const a = encode(t);
    const b = encode(t);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // Distinct bytes, possibly one ArrayBuffer: callers use byteOffset/byteLength, never .buffer alone.
    expect(
      a.byteOffset + a.byteLength <= b.byteOffset ||
        b.byteOffset + b.byteLength <= a.byteOffset ||
        a.buffer !== b.buffer,
    ).toBe(true);
    expect(a.buffer.byteLength).toBeLessThanOrEqual(32 * 1024);
    // A document over 2 KiB is not pooled; one of 64 KiB or more may be the encoder's buffer itself,
    // handed over (at most twice its size) and never written again.
    const mid = encode(mailSync(10 * 1024));
    expect(mid.byteOffset).toBe(0);
    expect(mid.buffer.byteLength).toBe(mid.byteLength);
    const big1 = encode(mailSync(2 * 1024 * 1024));
    const copy1 = Buffer.from(big1);
    const big2 = encode(mailSync(2 * 1024 * 1024, 12));
    const copy2 = Buffer.from(big2);
    expect(big1.buffer).not.toBe(big2.buffer);
    expect(big1.buffer.byteLength).toBeLessThanOrEqual(2 * big1.byteLength);
    encode(mailSync(3 * 1024 * 1024));
    encode(mailSync(100 * 1024));
    createEncoder().encode(mailSync(2 * 1024 * 1024));
    expect(Buffer.from(big1).equals(copy1)).toBe(true);
    expect(Buffer.from(big2).equals(copy2)).toBe(true);
    // Each document a little over half the one before: every one is handed over and the kept
    // buffer shrinks with it, down to one under SCRATCH_STRONG_LIMIT; the handed-over buffers must
    // not stay kept (the next document would be written into a caller's result).
    const chain = [8000, 4800, 2880, 1730, 1040, 640, 400].map((kb) => {
      const out = encode(mailSync(kb * 1024));
      return { out, copy: Buffer.from(out) };
    });
    encode(mailSync(640 * 1024, 12));
    encode(mailSync(400 * 1024, 12));
    encode(mailSync(1040 * 1024, 12));
    for (const { out, copy } of chain) expect(Buffer.from(out).equals(copy)).toBe(true);
    // A copy (slice) owns exactly its bytes, for callers that transfer the ArrayBuffer or keep a
    // small result for long without keeping its slab.
    const own = a.slice();
    expect(own.buffer.byteLength).toBe(own.byteLength);
  });

  it('a handed-over result is not kept alive by the encoder once the caller drops it', async () => {
    let out: Uint8Array | undefined = encode(mailSync(3 * 1024 * 1024));
    encode(mailSync(3 * 1024 * 1024, 12));
    out = encode(mailSync(3 * 1024 * 1024, 13));
    expect(out.byteLength).toBeGreaterThan(3_000_000);
    const ref = new WeakRef(out.buffer);
    out = undefined;
    // A WeakRef's target survives the current job: collect from later macrotasks (bounded polling).
    for (let i = 0; i < 20 && ref.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(ref.deref()).toBeUndefined();
  });

  it('throws the same WbxmlError as encode(), and keeps working afterwards', () => {
    const enc = createEncoder();
    const bad = el('AirSync', 'Sync', el('AirSync', 'Nope'));
    let mine: unknown;
    let theirs: unknown;
    try {
      enc.encode(bad);
    } catch (err) {
      mine = err;
    }
    try {
      encode(bad);
    } catch (err) {
      theirs = err;
    }
    expect(mine).toBeInstanceOf(WbxmlError);
    expect(mine).toMatchObject({
      code: (theirs as WbxmlError).code,
      offset: (theirs as WbxmlError).offset,
      path: (theirs as WbxmlError).path,
    });
    const ok = el('AirSync', 'Sync', el('AirSync', 'SyncKey', '1'));
    expect(same(enc.encode(ok), encode(ok))).toBe(true);
  });

  it('release() drops the grown buffer without touching earlier results', () => {
    const enc = createEncoder();
    const t = mailSync(2 * 1024 * 1024);
    const big = enc.encode(t);
    const expected = encode(t);
    enc.release();
    enc.encode(el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'x'.repeat(100))));
    expect(same(big, expected)).toBe(true);
  });
});

describe('createEncoder().encodeChunks', () => {
  it('chunks concatenate to encode() for random trees; no chunk is empty', () => {
    const enc = createEncoder({ opaqueByReferenceFrom: 64 });
    fc.assert(
      fc.property(mixedTree, (t) => {
        const chunks = enc.encodeChunks(t);
        for (const c of chunks) expect(c.byteLength).toBeGreaterThan(0);
        expect(same(concat(chunks), encode(t))).toBe(true);
      }),
      { numRuns: 400, seed: 20271 },
    );
  });

  it('passes large OPAQUE payloads by reference: the chunk is the tree’s own Uint8Array', () => {
    const enc = createEncoder();
    const t = mailSync(5 * 1024 * 1024);
    enc.encodeChunks(t); // grows the structural buffer; the second call reuses it as it is
    const chunks = enc.encodeChunks(t);
    const big = [...opaques(t)].filter((p) => p.byteLength >= 1024);
    expect(big.length).toBeGreaterThan(10);
    const set = new Set(chunks);
    for (const p of big) expect(set.has(p)).toBe(true);
    // Small ones (Email2 ConversationId/Index) are copied among the structural bytes.
    for (const p of opaques(t)) if (p.byteLength < 1024) expect(set.has(p)).toBe(false);
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    const whole = encode(t);
    expect(total).toBe(whole.byteLength);
    expect(same(concat(chunks), whole)).toBe(true);
    // Everything but the payloads is small and shares one buffer.
    const structural = chunks.filter((c) => !big.includes(c));
    expect(new Set(structural.map((c) => c.buffer)).size).toBe(1);
    expect(structural.reduce((n, c) => n + c.byteLength, 0)).toBeLessThan(whole.byteLength / 10);
  });

  it('structural chunks are valid until the next call on the same encoder only', () => {
    const enc = createEncoder({ opaqueByReferenceFrom: 4 });
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    const a = el('AirSync', 'Sync', el('AirSyncBase', 'Data', payload), el('AirSync', 'SyncKey', 'aaaa'));
    const b = el('AirSync', 'Sync', el('AirSyncBase', 'Data', payload), el('AirSync', 'SyncKey', 'bbbb'));
    const first = enc.encodeChunks(a);
    expect(first[1]).toBe(payload);
    const copy = Buffer.from(concat(first));
    createEncoder().encodeChunks(b);
    encode(b);
    expect(concat(first).equals(copy)).toBe(true);
    enc.encodeChunks(b);
    expect(concat(first).equals(copy)).toBe(false);
    expect(same(concat(first), encode(b))).toBe(true);
  });

  it('reports error offsets in document space, counting payloads passed by reference', () => {
    const enc = createEncoder({ opaqueByReferenceFrom: 4 });
    const bad = el('AirSync', 'Sync', el('AirSyncBase', 'Data', new Uint8Array(1000)), el('AirSync', 'Nope'));
    let mine: WbxmlError | undefined;
    let theirs: WbxmlError | undefined;
    try {
      enc.encodeChunks(bad);
    } catch (err) {
      mine = err as WbxmlError;
    }
    try {
      encode(bad);
    } catch (err) {
      theirs = err as WbxmlError;
    }
    expect(mine?.code).toBe('WBXML_ERR_UNKNOWN_TAG');
    expect(mine?.offset).toBe(theirs?.offset);
  });

  it('refuses a by-reference threshold below 1', () => {
    expect(() => createEncoder({ opaqueByReferenceFrom: 0 })).toThrow(TypeError);
  });
});

describe('re-entrant encoding (a tree whose getter encodes another tree)', () => {
  /** An element whose children, when read, first encode `inner` with `encodeInner`. */
  function reentrant(encodeInner: () => Uint8Array, seen: Uint8Array[]): WbxmlElement {
    const kids = [el('AirSync', 'SyncKey', 'x'.repeat(200))];
    const node = { ns: 'AirSync', tag: 'Collection' } as WbxmlElement;
    Object.defineProperty(node, 'children', {
      enumerable: true,
      get: () => {
        seen.push(Uint8Array.from(encodeInner()));
        return kids;
      },
    });
    return el('AirSync', 'Sync', el('AirSync', 'Status', '1'.repeat(300)), node);
  }
  const inner = el('FolderHierarchy', 'FolderSync', el('FolderHierarchy', 'SyncKey', 'y'.repeat(500)));
  const plain = el(
    'AirSync',
    'Sync',
    el('AirSync', 'Status', '1'.repeat(300)),
    el('AirSync', 'Collection', el('AirSync', 'SyncKey', 'x'.repeat(200))),
  );

  it('encode() inside encode(): both documents come out whole', () => {
    const seen: Uint8Array[] = [];
    const out = encode(reentrant(() => encode(inner), seen));
    expect(Buffer.from(out).equals(Buffer.from(encode(plain)))).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(Buffer.from(s).equals(Buffer.from(encode(inner)))).toBe(true);
  });

  it('an encoder used again inside its own call: the outer document comes out whole', () => {
    const enc = createEncoder();
    const seen: Uint8Array[] = [];
    const out = Uint8Array.from(enc.encode(reentrant(() => enc.encode(inner), seen)));
    expect(Buffer.from(out).equals(Buffer.from(encode(plain)))).toBe(true);
    for (const s of seen) expect(Buffer.from(s).equals(Buffer.from(encode(inner)))).toBe(true);
    // The encoder keeps working on its own buffer afterwards.
    expect(Buffer.from(enc.encode(plain)).equals(Buffer.from(encode(plain)))).toBe(true);
  });
});
