import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  decode,
  el,
  encode,
  resolveLimits,
  WbxmlError,
  type WbxmlElement,
} from '../src/index';
import { expectWbxmlError, HEADER, wb } from './support/bytes';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/wbxml');
const fixture = (name: string) => new Uint8Array(readFileSync(resolve(FIXTURES, `${name}.wbxml`)));

/** <Sync> nested `depth` times with AirSync:Collections inside; all tags one byte on page 0. */
function nested(depth: number): WbxmlElement {
  let e: WbxmlElement = el('AirSync', 'SyncKey', '1');
  for (let i = 1; i < depth; i++) e = el('AirSync', 'Collections', e);
  return e;
}

describe('truncated documents', () => {
  it.each([
    ['empty input', [], 0],
    ['header cut after version', [0x03], 1],
    ['header cut after public id', [0x03, 0x01], 2],
    ['header cut inside a multi-byte charset', [0x03, 0x01, 0x83], 3],
    ['header only, no root', [...HEADER], 4],
    ['element left open', [...HEADER, 0x45, 0x5c], 6],
    ['SWITCH_PAGE without its page byte', [...HEADER, 0x45, 0x00], 6],
    ['OPAQUE without its length', [...HEADER, 0x45, 0xc3], 6],
  ])('%s → WBXML_ERR_TRUNCATED at %s', (_name, bytes, offset) => {
    expectWbxmlError(
      () => decode(Uint8Array.from(bytes as number[])),
      'WBXML_ERR_TRUNCATED',
      offset as number,
    );
  });

  it('an inline string without its NUL points at the STR_I token', () => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x45, 0x4b, 0x03, 'abc')), 'WBXML_ERR_TRUNCATED', 6);
  });

  it('every strict prefix of a real document fails with TRUNCATED or LENGTH_PAST_END, never otherwise', () => {
    const whole = fixture('mail-sync').subarray(0, 6000);
    const full = fixture('foldersync-response');
    for (const doc of [full, whole]) {
      for (let cut = 0; cut < doc.length - (doc === full ? 1 : 0); cut++) {
        try {
          decode(doc.subarray(0, cut));
          if (doc === full) expect.fail(`prefix of ${cut} bytes decoded`);
        } catch (err) {
          expect(err).toBeInstanceOf(WbxmlError);
          expect(['WBXML_ERR_TRUNCATED', 'WBXML_ERR_LENGTH_PAST_END']).toContain((err as WbxmlError).code);
        }
      }
    }
  });

  it('a document split across chunks decodes once the chunks are joined', () => {
    const doc = fixture('calendar-sync');
    for (const at of [1, 4, 5, 100, doc.length - 1]) {
      const joined = new Uint8Array(doc.length);
      joined.set(doc.subarray(0, at));
      joined.set(doc.subarray(at), at);
      expect(decode(joined)).toEqual(decode(doc));
      expectWbxmlError(() => decode(doc.subarray(0, at)), 'WBXML_ERR_TRUNCATED');
    }
  });
});

describe('unknown pages and tokens', () => {
  it.each([26, 0x7f, 0xfe, 0xff])(
    'SWITCH_PAGE to page %i → WBXML_ERR_UNKNOWN_PAGE at the page byte',
    (page) => {
      expectWbxmlError(() => decode(wb(...HEADER, 0x00, page, 0x45, 0x01)), 'WBXML_ERR_UNKNOWN_PAGE', 5);
    },
  );

  it('a token past the end of a page → WBXML_ERR_UNKNOWN_TOKEN at the tag byte', () => {
    const e = expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0x7f, 0x01, 0x01)),
      'WBXML_ERR_UNKNOWN_TOKEN',
      5,
    );
    expect(e.message).toMatch(/0x3f .*code page 0 \(AirSync\)/);
  });

  it('a token in a hole of a page (MeetingResponse 0x0F) → WBXML_ERR_UNKNOWN_TOKEN', () => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x00, 0x08, 0x0f)), 'WBXML_ERR_UNKNOWN_TOKEN', 6);
  });
});

describe('lengths and mb_u_int32', () => {
  it('an OPAQUE length past the end → WBXML_ERR_LENGTH_PAST_END at the length', () => {
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, 0x0a, 1, 2, 3, 0x01)),
      'WBXML_ERR_LENGTH_PAST_END',
      6,
    );
  });

  it('a string table length past the end → WBXML_ERR_LENGTH_PAST_END at the length', () => {
    expectWbxmlError(() => decode(wb(0x03, 0x01, 0x6a, 0x10, 'ab')), 'WBXML_ERR_LENGTH_PAST_END', 3);
  });

  it('an mb_u_int32 of 6 bytes → WBXML_ERR_MBUINT_TOO_LONG at its first byte', () => {
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00, 0x01)),
      'WBXML_ERR_MBUINT_TOO_LONG',
      6,
    );
    expectWbxmlError(
      () => decode(wb(0x03, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)),
      'WBXML_ERR_MBUINT_TOO_LONG',
      1,
    );
  });

  it('a 5-byte mb_u_int32 above 32 bits → WBXML_ERR_MBUINT_TOO_LONG; 2^32-1 is still a number', () => {
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, 0x90, 0x80, 0x80, 0x80, 0x00)),
      'WBXML_ERR_MBUINT_TOO_LONG',
      6,
    );
    const e = expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, 0x8f, 0xff, 0xff, 0xff, 0x7f)),
      'WBXML_ERR_OPAQUE_TOO_LARGE',
      6,
    );
    expect(e.message).toContain('4294967295');
  });

  it('a 2 GB OPAQUE or string-table claim fails before any allocation', () => {
    const before = process.memoryUsage().arrayBuffers;
    const twoGb = [0x88, 0x80, 0x80, 0x80, 0x00]; // 2^31
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, twoGb, 1, 2, 3)),
      'WBXML_ERR_OPAQUE_TOO_LARGE',
      6,
    );
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0xc3, twoGb, 1, 2, 3), { maxOpaqueLength: 2 ** 32 }),
      'WBXML_ERR_LENGTH_PAST_END',
      6,
    );
    expectWbxmlError(() => decode(wb(0x03, 0x01, 0x6a, twoGb, 'a')), 'WBXML_ERR_STRING_TABLE_TOO_LARGE', 3);
    expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x6a, twoGb, 'a'), { maxStringTableSize: 2 ** 32 }),
      'WBXML_ERR_LENGTH_PAST_END',
      3,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a STR_T index outside the string table → WBXML_ERR_BAD_STRING_REF', () => {
    expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x6a, 0x02, 'a', 0, 0x45, 0x4b, 0x83, 0x05, 0x01, 0x01)),
      'WBXML_ERR_BAD_STRING_REF',
      8,
    );
    // An entry with no NUL before the table ends.
    expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x6a, 0x02, 'ab', 0x45, 0x4b, 0x83, 0x00, 0x01, 0x01)),
      'WBXML_ERR_BAD_STRING_REF',
      8,
    );
  });
});

describe('nesting and counts at the cap and cap + 1', () => {
  it('maxDepth: the default 64 passes, 65 fails at the 65th tag', () => {
    const at = encode(nested(DEFAULT_DECODE_LIMITS.maxDepth));
    expect(() => decode(at)).not.toThrow();
    expectWbxmlError(() => decode(encode(nested(65))), 'WBXML_ERR_DEPTH_EXCEEDED', 4 + 64);
  });

  it('maxDepth: a custom cap of 3', () => {
    expect(decode(encode(nested(3)), { maxDepth: 3 })).toEqual(nested(3));
    expectWbxmlError(() => decode(encode(nested(4)), { maxDepth: 3 }), 'WBXML_ERR_DEPTH_EXCEEDED', 7);
  });

  it('deep nesting never overflows the stack: 100 000 levels fail cleanly', () => {
    const bytes = new Uint8Array(4 + 100_000).fill(0x5c);
    bytes.set(HEADER);
    expectWbxmlError(() => decode(bytes), 'WBXML_ERR_DEPTH_EXCEEDED', 68);
    expectWbxmlError(() => decode(bytes, { maxDepth: 200_000 }), 'WBXML_ERR_TRUNCATED', bytes.length);
  });

  it('maxElements', () => {
    const doc = encode(el('AirSync', 'Sync', el('AirSync', 'SyncKey', '1'), el('AirSync', 'Status', '1')));
    expect(() => decode(doc, { maxElements: 3 })).not.toThrow();
    expectWbxmlError(() => decode(doc, { maxElements: 2 }), 'WBXML_ERR_TOO_MANY_ELEMENTS', 10);
  });

  it('maxOpaqueLength', () => {
    const doc = encode(el('AirSync', 'Sync', el('AirSyncBase', 'Data', new Uint8Array(100))));
    expect(() => decode(doc, { maxOpaqueLength: 100 })).not.toThrow();
    expectWbxmlError(() => decode(doc, { maxOpaqueLength: 99 }), 'WBXML_ERR_OPAQUE_TOO_LARGE', 9);
  });

  it('maxStringTableSize', () => {
    const doc = wb(0x03, 0x01, 0x6a, 0x04, 'abc', 0, 0x05);
    expect(() => decode(doc, { maxStringTableSize: 4 })).not.toThrow();
    expectWbxmlError(() => decode(doc, { maxStringTableSize: 3 }), 'WBXML_ERR_STRING_TABLE_TOO_LARGE', 3);
  });

  it('maxDocumentSize', () => {
    const doc = wb(...HEADER, 0x05);
    expect(() => decode(doc, { maxDocumentSize: 5 })).not.toThrow();
    expectWbxmlError(() => decode(doc, { maxDocumentSize: 4 }), 'WBXML_ERR_DOCUMENT_TOO_LARGE', 4);
  });

  it('limits are checked when built, naming the field', () => {
    expect(() => resolveLimits({ maxDepht: 3 } as never)).toThrow(/unknown WBXML decode limit "maxDepht"/);
    expect(() => resolveLimits({ maxDepth: -1 })).toThrow(/"maxDepth" must be a non-negative integer/);
    expect(resolveLimits({ maxDepth: 5 })).toEqual({ ...DEFAULT_DECODE_LIMITS, maxDepth: 5 });
  });
});

describe('invalid UTF-8 points at the bad byte', () => {
  it.each([
    ['a lone continuation byte', [0x61, 0x80, 0x62], 8],
    ['0xFF', [0x61, 0x62, 0xff], 9],
    ['an overlong NUL (C0 80)', [0xc0, 0x80], 7],
    ['an encoded surrogate (ED A0 80)', [0x61, 0xed, 0xa0, 0x80], 8],
    ['a sequence cut by the terminator', [0x61, 0xe2, 0x82], 8],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 7],
    ['a bad byte deep in a long string', [...new Array(40).fill(0x61), 0xfe], 47],
  ])('%s', (_n, content, offset) => {
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0x4b, 0x03, content as number[], 0, 0x01, 0x01)),
      'WBXML_ERR_INVALID_UTF8',
      offset as number,
    );
  });

  it('in the string table', () => {
    expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x6a, 0x03, 0x61, 0xff, 0, 0x45, 0x4b, 0x83, 0x00, 0x01, 0x01)),
      'WBXML_ERR_INVALID_UTF8',
      5,
    );
  });
});

describe('WBXML features EAS does not use', () => {
  it.each([
    ['a tag with attributes (0x85)', 0x85, 'WBXML_ERR_ATTRIBUTES_UNSUPPORTED'],
    ['a tag with attributes and content (0xC5)', 0xc5, 'WBXML_ERR_ATTRIBUTES_UNSUPPORTED'],
    ['a processing instruction', 0x43, 'WBXML_ERR_PI_UNSUPPORTED'],
    ['LITERAL', 0x04, 'WBXML_ERR_LITERAL_UNSUPPORTED'],
    ['LITERAL_C', 0x44, 'WBXML_ERR_LITERAL_UNSUPPORTED'],
    ['LITERAL_A', 0x84, 'WBXML_ERR_LITERAL_UNSUPPORTED'],
    ['LITERAL_AC', 0xc4, 'WBXML_ERR_LITERAL_UNSUPPORTED'],
    ['EXT_I_0', 0x40, 'WBXML_ERR_EXTENSION_UNSUPPORTED'],
    ['EXT_T_1', 0x81, 'WBXML_ERR_EXTENSION_UNSUPPORTED'],
    ['EXT_2', 0xc2, 'WBXML_ERR_EXTENSION_UNSUPPORTED'],
  ] as const)('%s inside the root', (_n, token, code) => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x45, token, 0x00, 0x01, 0x01)), code, 5);
  });

  it('a PI before the root', () => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x43, 0x05)), 'WBXML_ERR_PI_UNSUPPORTED', 4);
  });

  it('an ENTITY that is no Unicode scalar value', () => {
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0x02, 0x83, 0xb0, 0x00, 0x01)),
      'WBXML_ERR_INVALID_ENTITY',
      5,
    );
    expectWbxmlError(
      () => decode(wb(...HEADER, 0x45, 0x02, 0xc4, 0x80, 0x00, 0x01)),
      'WBXML_ERR_INVALID_ENTITY',
      5,
    );
  });
});

describe('grammar', () => {
  it('an END with nothing open', () => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x01)), 'WBXML_ERR_UNEXPECTED_TOKEN', 4);
  });

  it.each([
    ['STR_I', [0x03, 0x61, 0x00]],
    ['OPAQUE', [0xc3, 0x00]],
    ['STR_T', [0x83, 0x00]],
    ['ENTITY', [0x02, 0x41]],
  ])('%s before the root', (_n, bytes) => {
    expectWbxmlError(() => decode(wb(...HEADER, bytes, 0x05)), 'WBXML_ERR_UNEXPECTED_TOKEN', 4);
  });

  it('anything after the root element', () => {
    expectWbxmlError(() => decode(wb(...HEADER, 0x45, 0x01, 0x45, 0x01)), 'WBXML_ERR_TRAILING_DATA', 6);
    expectWbxmlError(() => decode(wb(...HEADER, 0x05, 0x00)), 'WBXML_ERR_TRAILING_DATA', 5);
    expectWbxmlError(() => decode(wb(...HEADER, 0x45, 0x01, 0x03, 0x61, 0x00)), 'WBXML_ERR_TRAILING_DATA', 6);
  });

  it('an unsupported version or charset', () => {
    expectWbxmlError(() => decode(wb(0x04, 0x01, 0x6a, 0x00, 0x05)), 'WBXML_ERR_UNSUPPORTED_VERSION', 0);
    const e = expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x04, 0x00, 0x05)),
      'WBXML_ERR_UNSUPPORTED_CHARSET',
      2,
    );
    expect(e.message).toContain('MIBenum 4');
    expectWbxmlError(
      () => decode(wb(0x03, 0x01, 0x83, 0x68, 0x00, 0x05)),
      'WBXML_ERR_UNSUPPORTED_CHARSET',
      2,
    );
  });

  it('a non-Uint8Array argument is a programming error, not bad input', () => {
    expect(() => decode('03016a00' as never)).toThrow(TypeError);
  });
});

/** mb_u_int32 (WAP-192 §5.1) bytes of n. */
function mb(n: number): number[] {
  const out = [n & 0x7f];
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return out;
}

/** A document with `table` as its string table and `body` after it (the body holds the root). */
function withTable(table: Uint8Array, body: number[]): { doc: Uint8Array; bodyAt: number } {
  const head = [0x03, 0x01, 0x6a, ...mb(table.length)];
  const doc = new Uint8Array(head.length + table.length + body.length);
  doc.set(head);
  doc.set(table, head.length);
  doc.set(body, head.length + table.length);
  return { doc, bodyAt: head.length + table.length };
}

/** `n` × 'a' then the terminating NUL. */
const entry = (n: number) => {
  const t = new Uint8Array(n + 1).fill(0x61);
  t[n] = 0;
  return t;
};

describe('string-table references and maxTextBytes (issue 15)', () => {
  it('a 32 KiB entry referenced 16 400 times in one element: WBXML_ERR_TEXT_TOO_LARGE, not RangeError', () => {
    // 03 01 6A 82 80 00, 32 767 × 61, 00, 45, 16 400 × 83 00, 01 (65 576 bytes).
    const body = [0x45];
    for (let i = 0; i < 16_400; i++) body.push(0x83, 0x00);
    body.push(0x01);
    const { doc, bodyAt } = withTable(entry(32_767), body);
    expect(doc.length).toBe(65_576);
    // 2048 references fit the default 64 MiB; the 2049th is refused before it is decoded.
    const e = expectWbxmlError(() => decode(doc), 'WBXML_ERR_TEXT_TOO_LARGE', bodyAt + 1 + 2 * 2048);
    expect(e.message).toContain('maxTextBytes');
    // Raised past what a JS string can hold, the concatenation is still a typed error.
    const big = expectWbxmlError(() => decode(doc, { maxTextBytes: 2 ** 40 }), 'WBXML_ERR_TEXT_TOO_LARGE');
    expect(big.offset).toBeGreaterThan(bodyAt);
  });

  /** 03 01 6A C0 80 00, 1 048 575 × 61, 00, 45, then per i: 4E 83 mb(7i) 01, then 01. */
  function distinctOffsets(n: number): { doc: Uint8Array; bodyAt: number; at: number[] } {
    const body = [0x45];
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      at.push(body.length);
      body.push(0x4e, 0x83, ...mb(7 * i), 0x01);
    }
    body.push(0x01);
    return { ...withTable(entry(1_048_575), body), at };
  }

  it('a 1 MiB table referenced at N distinct offsets: refused at the cap by default', () => {
    const { doc, bodyAt, at } = distinctOffsets(300);
    let total = 0;
    let k = 0;
    while (total + (1_048_575 - 7 * k) <= DEFAULT_DECODE_LIMITS.maxTextBytes) total += 1_048_575 - 7 * k++;
    // The STR_T of element k is one byte after its tag.
    expectWbxmlError(() => decode(doc), 'WBXML_ERR_TEXT_TOO_LARGE', bodyAt + at[k]! + 1);
  });

  it('distinct offsets cost no copy each: 1 000 references of ~1 MiB hold far less than 1 GB', () => {
    const { doc } = distinctOffsets(1000);
    const before = process.memoryUsage().heapUsed;
    const root = decode(doc, { maxTextBytes: 2 ** 40 });
    const grown = process.memoryUsage().heapUsed - before;
    expect(root.children).toHaveLength(1000);
    for (const i of [0, 1, 500, 999]) {
      const s = (root.children[i] as WbxmlElement).children[0] as string;
      expect(s.length).toBe(1_048_575 - 7 * i);
      expect(s.startsWith('aaaa')).toBe(true);
    }
    // Copies would be ~1 000 MB (the issue measured +994 MB); slices are a few hundred KB.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('repeated references at the cap pass, at the cap + 1 fail at the reference that crosses it', () => {
    // Table "abc\0"; <Sync>, then 3 × STR_T 0 (3 bytes each) inside <SyncKey>.
    const { doc, bodyAt } = withTable(wb('abc', 0), [0x45, 0x4b, 0x83, 0, 0x83, 0, 0x83, 0, 0x01, 0x01]);
    expect(decode(doc, { maxTextBytes: 9 })).toEqual(
      el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'abcabcabc')),
    );
    expectWbxmlError(() => decode(doc, { maxTextBytes: 8 }), 'WBXML_ERR_TEXT_TOO_LARGE', bodyAt + 6);
  });

  it('references into the middle of an entry and to distinct entries slice the right text', () => {
    const { doc } = withTable(
      wb('abc', 0, 'de', 0),
      [0x45, 0x4b, 0x83, 1, 0x01, 0x4b, 0x83, 4, 0x83, 2, 0x01, 0x01],
    );
    expect(decode(doc)).toEqual(
      el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'bc'), el('AirSync', 'SyncKey', 'dec')),
    );
  });

  it('a non-ASCII table: offsets map to the right characters; a reference inside a character is invalid UTF-8', () => {
    // "é€😀x\0" = C3 A9, E2 82 AC, F0 9F 98 80, 78, 00.
    const table = wb('é€😀x', 0);
    const refs = (i: number) => withTable(table, [0x45, 0x4b, 0x83, i, 0x01, 0x01]);
    const text = (i: number) => (decode(refs(i).doc).children[0] as WbxmlElement).children[0];
    expect(text(0)).toBe('é€😀x');
    expect(text(2)).toBe('€😀x');
    expect(text(5)).toBe('😀x');
    expect(text(9)).toBe('x');
    for (const inside of [1, 3, 4, 6, 7, 8]) {
      const { doc } = refs(inside);
      expectWbxmlError(() => decode(doc), 'WBXML_ERR_INVALID_UTF8', 4 + inside);
    }
  });

  it('an invalid entry nobody references does not stop the others', () => {
    const { doc } = withTable(wb('ab', 0, 0xff, 0), [0x45, 0x4b, 0x83, 0, 0x01, 0x01]);
    expect(decode(doc)).toEqual(el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'ab')));
    const bad = withTable(wb('ab', 0, 0xff, 0), [0x45, 0x4b, 0x83, 3, 0x01, 0x01]);
    expectWbxmlError(() => decode(bad.doc), 'WBXML_ERR_INVALID_UTF8', 4 + 3);
  });

  it('inline strings and entities count too: at the cap and the cap + 1', () => {
    const doc = wb(...HEADER, 0x45, 0x4b, 0x03, 'abcd', 0, 0x02, 0x81, 0x69, 0x01, 0x01); // 'abcd' + é (2 bytes)
    expect(decode(doc, { maxTextBytes: 6 })).toEqual(
      el('AirSync', 'Sync', el('AirSync', 'SyncKey', 'abcdé')),
    );
    expectWbxmlError(() => decode(doc, { maxTextBytes: 5 }), 'WBXML_ERR_TEXT_TOO_LARGE', 12);
    expectWbxmlError(() => decode(doc, { maxTextBytes: 3 }), 'WBXML_ERR_TEXT_TOO_LARGE', 6);
  });
});
