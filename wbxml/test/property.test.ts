import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_PAGES, decode, encode, fromXml, toXml, type WbxmlElement, type WbxmlNode } from '../src/index';

const ALL_TAGS = CODE_PAGES.flatMap((p) => p.tags.map((t) => ({ ns: p.namespace, tag: t.name })));
const anyTag = fc.constantFrom(...ALL_TAGS);
// Any Unicode scalar value but U+0000, which STR_I cannot carry (WAP-192 §5.8.4.1).
const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\u0000'));
const opaque = fc.uint8Array({ minLength: 0, maxLength: 300 });

/** Trees in the EAS shapes: a leaf holds nothing, one text or one opaque; a branch holds elements. */
const easTree = fc.letrec<{ node: WbxmlElement }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: anyTag, c: fc.constantFrom<WbxmlNode[]>([]) }).map(({ t, c }) => ({ ...t, children: c })),
    fc.record({ t: anyTag, s: text }).map(({ t, s }) => ({ ...t, children: [s] })),
    fc.record({ t: anyTag, b: opaque }).map(({ t, b }) => ({ ...t, children: [b] })),
    fc
      .record({ t: anyTag, kids: fc.array(tie('node'), { minLength: 1, maxLength: 5 }) })
      .map(({ t, kids }) => ({ ...t, children: kids })),
  ),
})).node;

/** Mixed content too: text and opaque between elements, as WBXML (not EAS) allows; no adjacent text. */
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

describe('property: random trees round-trip', () => {
  it('decode(encode(t)) equals t for EAS-shaped trees', () => {
    fc.assert(
      fc.property(easTree, (t) => {
        expect(decode(encode(t))).toEqual(t);
      }),
      { numRuns: 400, seed: 20260 },
    );
  });

  it('decode(encode(t)) equals t with mixed content', () => {
    fc.assert(
      fc.property(mixedTree, (t) => {
        expect(decode(encode(t))).toEqual(t);
      }),
      { numRuns: 300, seed: 20261 },
    );
  });

  it('encoding is deterministic and re-encoding a decoded document gives the same bytes', () => {
    fc.assert(
      fc.property(mixedTree, (t) => {
        const a = encode(t);
        expect(Buffer.from(encode(decode(a))).equals(Buffer.from(a))).toBe(true);
      }),
      { numRuns: 200, seed: 20262 },
    );
  });

  it('fromXml(toXml(t)) equals t, compact and pretty', () => {
    fc.assert(
      fc.property(easTree, fc.boolean(), (t, pretty) => {
        expect(fromXml(toXml(t, { pretty }))).toEqual(t);
      }),
      { numRuns: 300, seed: 20263 },
    );
  });
});
