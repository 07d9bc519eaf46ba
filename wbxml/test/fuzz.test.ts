import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../scripts/sample-documents';
import { decode, encode, WbxmlError, type WbxmlErrorCode } from '../src/index';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/wbxml');
const corpus = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.wbxml'))
  .sort()
  .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(resolve(FIXTURES, f))) }));

// Bytes that steer the state machine: globals, content/attribute bits, long mb_u_int32 parts.
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x40, 0x43, 0x44, 0x80, 0x83, 0xc3, 0xc4, 0xff, 0x7f, 0x45, 0x8f,
];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  // Mostly small windows: the 40 KB documents would make whole-document mutations rarely matter.
  const bytes = Array.from(src.subarray(0, Math.min(src.length, 64 + Math.floor(r() * 2000))));
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * bytes.length);
    switch (Math.floor(r() * 6)) {
      case 0:
        bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(r() * 8));
        break;
      case 1:
        bytes[at] = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
        break;
      case 2:
        bytes.splice(at, 0, Math.floor(r() * 256));
        break;
      case 3:
        bytes.splice(at, 1 + Math.floor(r() * 8));
        break;
      case 4:
        bytes.length = at;
        break;
      default: {
        const from = Math.floor(r() * bytes.length);
        bytes.splice(at, 0, ...bytes.slice(from, from + 1 + Math.floor(r() * 16)));
      }
    }
  }
  return Uint8Array.from(bytes);
}

describe('fuzz: mutated real documents (fixed seed)', () => {
  it('only ever decodes to a re-encodable tree or throws a WbxmlError', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(9);
    const r = rng(0x7d1d);
    const seen = new Map<WbxmlErrorCode | 'ok', number>();
    const RUNS = 6000;
    for (let i = 0; i < RUNS; i++) {
      const src = corpus[i % corpus.length]!;
      const input = mutate(src.bytes, r);
      let outcome: WbxmlErrorCode | 'ok';
      try {
        const tree = decode(input);
        // Whatever decodes must encode again and decode to the same tree.
        expect(decode(encode(tree))).toEqual(tree);
        outcome = 'ok';
      } catch (err) {
        if (!(err instanceof WbxmlError)) {
          throw new Error(
            `run ${i} (${src.name}): ${String(err)}; input ${Buffer.from(input).toString('hex')}`,
          );
        }
        expect(err.offset).toBeGreaterThanOrEqual(0);
        expect(err.offset).toBeLessThanOrEqual(input.length);
        outcome = err.code;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // The mutations reach deep into the state machine, not just the header.
    for (const code of [
      'ok',
      'WBXML_ERR_TRUNCATED',
      'WBXML_ERR_UNKNOWN_TOKEN',
      'WBXML_ERR_INVALID_UTF8',
    ] as const) {
      expect(seen.get(code) ?? 0, `${code} never reached: ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    }
  });

  it('decodes lazily (lazyTextFrom) to the same bytes or the same error as eagerly', () => {
    const r = rng(0x1a2f);
    const outcome = (f: () => Uint8Array): string => {
      try {
        return Buffer.from(f()).toString('hex');
      } catch (err) {
        if (!(err instanceof WbxmlError)) throw err;
        return `${err.code}@${err.offset}`;
      }
    };
    let ok = 0;
    for (let i = 0; i < 2000; i++) {
      const src = corpus[i % corpus.length]!;
      const input = mutate(src.bytes, r);
      const eager = outcome(() => encode(decode(input)));
      const lazy = outcome(() => encode(decode(input, undefined, { lazyTextFrom: 4 })));
      expect(lazy, `run ${i} (${src.name})`).toBe(eager);
      if (!eager.startsWith('WBXML_ERR')) ok++;
    }
    expect(ok).toBeGreaterThan(0);
  });
});
