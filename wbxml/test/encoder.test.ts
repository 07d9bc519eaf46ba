import { describe, expect, it } from 'vitest';
import { createEncoder, decode, el, encode, type WbxmlElement, WbxmlText } from '../src/index';
import { expectWbxmlError, HEADER, hex, wb } from './support/bytes';

describe('encode', () => {
  it('writes the EAS header 03 01 6A 00 and a bare token for an empty root', () => {
    expect(hex(encode(el('AirSync', 'Sync')))).toBe('03 01 6a 00 05');
  });

  it('reproduces the opening bytes of the MS-ASWBXML example (Sync response adding a contact)', () => {
    const tree = el(
      'AirSync',
      'Sync',
      el(
        'AirSync',
        'Collections',
        el('AirSync', 'Collection', el('AirSync', 'Class', 'Contacts'), el('AirSync', 'SyncKey', '2')),
      ),
    );
    expect(
      hex(encode(tree)).startsWith(
        hex(wb(...HEADER, 0x45, 0x5c, 0x4f, 0x50, 0x03, 'Contacts', 0x00, 0x01, 0x4b)),
      ),
    ).toBe(true);
  });

  it('switches page only when the page changes, never on END', () => {
    const tree = el(
      'AirSync',
      'Sync',
      el('Email', 'Subject', 'a'),
      el('Email', 'Read', '1'),
      el('AirSync', 'Status', '1'),
      el('Email', 'To'),
    );
    expect(hex(encode(tree))).toBe(
      hex(
        wb(
          ...HEADER,
          0x45,
          0x00,
          0x02,
          0x54,
          0x03,
          'a',
          0,
          0x01,
          0x55,
          0x03,
          '1',
          0,
          0x01,
          0x00,
          0x00,
          0x4e,
          0x03,
          '1',
          0,
          0x01,
          0x00,
          0x02,
          0x16,
          0x01,
        ),
      ),
    );
  });

  it('writes an empty string or a child list of empty strings as the bare token', () => {
    expect(hex(encode(el('AirSync', 'Sync', el('AirSync', 'SyncKey', ''))))).toBe('03 01 6a 00 45 0b 01');
  });

  it('clears the content bit of an element whose children wrote nothing, in every API and at any depth', () => {
    const empty = new WbxmlText(new Uint8Array(4), 2, 2);
    const tree = el(
      'AirSync',
      'Sync',
      el('AirSync', 'SyncKey', '', empty, ''),
      el('AirSync', 'Collections', el('AirSync', 'Collection', '', el('AirSync', 'Class', ''))),
      el('Email', 'Subject', ''),
      el('AirSync', 'CollectionId', '', 'x', ''),
      el('AirSyncBase', 'Data', new Uint8Array(0)),
    );
    // Sync { SyncKey/ Collections { Collection { Class/ } } SWITCH(2) Subject/ SWITCH(0)
    // CollectionId "x" SWITCH(17) Data { OPAQUE 00 } }: an empty OPAQUE is content, as before.
    const want = '03 01 6a 00 45 0b 5c 4f 10 01 01 00 02 14 00 00 52 03 78 00 01 00 11 4b c3 00 01 01';
    expect(hex(encode(tree))).toBe(want);
    const reused = createEncoder({ opaqueByReferenceFrom: 1 });
    expect(hex(reused.encode(tree))).toBe(want);
    expect(hex(Buffer.concat(reused.encodeChunks(tree)))).toBe(want);
    expect(hex(encode(el('AirSync', 'Sync', '', empty)))).toBe('03 01 6a 00 05');
  });

  it('writes OPAQUE with mb_u_int32 lengths of 1, 2 and 3 bytes', () => {
    for (const [len, prefix] of [
      [0, [0x00]],
      [127, [0x7f]],
      [128, [0x81, 0x00]],
      [16383, [0xff, 0x7f]],
      [16384, [0x81, 0x80, 0x00]],
    ] as const) {
      const data = new Uint8Array(len).map((_, i) => i & 0xff);
      const out = encode(el('AirSyncBase', 'Data', data));
      expect(hex(out.subarray(0, 9 + prefix.length - 1))).toBe(
        hex(wb(...HEADER, 0x00, 0x11, 0x4b, 0xc3, prefix)),
      );
      expect(decode(out)).toEqual(el('AirSyncBase', 'Data', data));
    }
  });

  it('encodes text as UTF-8 and a large document beyond the initial buffer', () => {
    const big = 'ü'.repeat(50_000);
    const tree = el('Email', 'Subject', big);
    const out = encode(tree);
    expect(out.length).toBe(4 + 2 + 1 + 1 + 100_000 + 1 + 1);
    expect(decode(out)).toEqual(tree);
    // The scratch buffer is reused: a following small document is not polluted.
    expect(hex(encode(el('AirSync', 'Sync')))).toBe('03 01 6a 00 05');
  });

  it('encodes documents past the 1 MiB the one-shot scratch keeps strongly identically', () => {
    const body = new Uint8Array(1_500_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const subject = 'Grüße 😀 '.repeat(5000);
    const big = el(
      'AirSync',
      'Sync',
      el('Email', 'Subject', subject),
      el('AirSyncBase', 'Data', body),
      el('AirSync', 'Status', 'x'.repeat(40)),
    );
    const out = encode(big);
    // The bytes up to the OPAQUE are those the one-pass writer gives a small document.
    const small = encode(el('AirSync', 'Sync', el('Email', 'Subject', subject)));
    expect(Buffer.compare(out.subarray(0, small.length - 1), small.subarray(0, small.length - 1))).toBe(0);
    const back = decode(out, { maxOpaqueLength: 2_000_000 });
    expect(back.children.map((c) => (c as WbxmlElement).tag)).toEqual(['Subject', 'Data', 'Status']);
    expect((back.children[0] as WbxmlElement).children).toEqual([subject]);
    const data = (back.children[1] as WbxmlElement).children[0] as Uint8Array;
    expect(Buffer.compare(data, body)).toBe(0);
    expect((back.children[2] as WbxmlElement).children).toEqual(['x'.repeat(40)]);
    const e = expectWbxmlError(
      () => encode(el('AirSync', 'Sync', el('AirSyncBase', 'Data', body), el('Email', 'Subject', 'a\u0000'))),
      'WBXML_ERR_INVALID_TREE',
    );
    expect(e.path).toBe('Sync/Subject');
    expect(e.offset).toBeGreaterThan(1_500_000);
  });

  it('rejects a namespace that is no code page, naming the element path', () => {
    const e = expectWbxmlError(
      () => encode(el('AirSync', 'Sync', el('Bogus', 'X'))),
      'WBXML_ERR_UNKNOWN_NAMESPACE',
      5,
    );
    expect(e.path).toBe('Sync/X');
  });

  it('rejects a tag its page lacks (no silent fallback to another page, unlike libwbxml)', () => {
    const e = expectWbxmlError(() => encode(el('Find', 'Sync')), 'WBXML_ERR_UNKNOWN_TAG', 4);
    expect(e.message).toContain('code page 25 (Find)');
  });

  it('rejects text with U+0000 on every text path (short ASCII, long ASCII, non-ASCII, two-byte)', () => {
    for (const s of [
      'a\u0000b',
      `${'x'.repeat(100)}\u0000`,
      `é${'x'.repeat(10)}\u0000y`,
      `€${'y'.repeat(60)}\u0000`,
    ]) {
      const e = expectWbxmlError(
        () => encode(el('AirSync', 'Sync', el('AirSync', 'SyncKey', '1'), el('Email', 'Subject', s))),
        'WBXML_ERR_INVALID_TREE',
        // Header, Sync, SyncKey STR_I "1" NUL END, SWITCH_PAGE 2: the Subject's STR_I.
        4 + 1 + 5 + 2 + 1,
      );
      expect(e.path).toBe('Sync/Subject');
    }
  });

  it('writes text on every path as TextEncoder does (lone surrogates as U+FFFD)', () => {
    for (const s of [
      'Status',
      'x'.repeat(47),
      'x'.repeat(49),
      'Grüße',
      `${'€'.repeat(30)}\ud800z`,
      '\udc00',
      // 4-byte characters (surrogate pairs), short and long, and lone surrogates among them.
      '😀',
      '😀'.repeat(30),
      `${'a'.repeat(60)}\ud83d`,
      `\ude00${'b'.repeat(50)}😀`,
      `Grüße 😀 – €${'x'.repeat(40)}\ud83dz`,
    ]) {
      const out = encode(el('Email', 'Subject', s));
      expect(
        Buffer.from(out.subarray(8, out.length - 2)).equals(Buffer.from(new TextEncoder().encode(s))),
      ).toBe(true);
      expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    }
  });

  it('rejects nodes that are not nodes', () => {
    expectWbxmlError(
      () => encode({ ns: 'AirSync', tag: 'Sync', children: [42 as never] }),
      'WBXML_ERR_INVALID_TREE',
    );
    expectWbxmlError(() => encode('Sync' as never), 'WBXML_ERR_INVALID_TREE');
  });

  it('stops a cyclic tree at maxDepth', () => {
    const loop: WbxmlElement = { ns: 'AirSync', tag: 'Sync', children: [] };
    loop.children.push(loop);
    const e = expectWbxmlError(() => encode(loop), 'WBXML_ERR_DEPTH_EXCEEDED');
    expect(e.path).toBe('Sync/Sync/Sync/…(251 more)…/Sync/Sync/Sync');
    expectWbxmlError(() => encode(loop, { maxDepth: 3 }), 'WBXML_ERR_DEPTH_EXCEEDED', 7);
  });
});
