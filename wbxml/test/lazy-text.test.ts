import { describe, expect, it } from 'vitest';
import { textMailSync } from '../scripts/sample-documents';
import {
  bytes,
  child,
  createEncoder,
  decode,
  el,
  encode,
  fromXml,
  isElement,
  isText,
  path,
  text,
  textOf,
  toXml,
  WbxmlError,
  WbxmlText,
  type WbxmlElement,
} from '../src/index';

const LONG = `<p>Grüße – ${'x'.repeat(2000)} 100 € 😀</p>`;
const doc = (...children: (string | WbxmlElement)[]) =>
  el('AirSync', 'Sync', el('AirSyncBase', 'Data', ...children), el('AirSync', 'Status', '1'));

describe('decode with lazyTextFrom', () => {
  it('leaves long inline strings undecoded, short ones as strings, and reads them through the helpers', () => {
    const wire = encode(doc(LONG));
    const tree = decode(wire, undefined, { lazyTextFrom: 1024 });
    const data = child(tree, 'Data')!;
    expect(data.children).toHaveLength(1);
    const node = data.children[0];
    expect(node).toBeInstanceOf(WbxmlText);
    expect(isText(node)).toBe(true);
    expect(isElement(node)).toBe(false);
    expect(child(tree, 'Status')!.children[0]).toBe('1');
    expect(text(tree, 'Data')).toBe(LONG);
    expect(textOf(data)).toBe(LONG);
    expect(String(node)).toBe(LONG);
    expect(new TextDecoder().decode(bytes(tree, 'Data'))).toBe(LONG);
    // Eager decoding is unchanged: strings only.
    expect(child(decode(wire), 'Data')!.children[0]).toBe(LONG);
  });

  it('re-encodes an undecoded node byte for byte, and a decoded one too', () => {
    const wire = encode(textMailSync(64 * 1024));
    const tree = decode(wire, undefined, { lazyTextFrom: 1024 });
    expect(Buffer.from(encode(tree)).equals(Buffer.from(wire))).toBe(true);
    expect(Buffer.from(createEncoder().encode(tree)).equals(Buffer.from(wire))).toBe(true);
    const chunks = Buffer.concat(createEncoder().encodeChunks(tree));
    expect(chunks.equals(Buffer.from(wire))).toBe(true);
    // Reading every text leaves the tree as it was: the same bytes again.
    const bodies: string[] = [];
    const walk = (e: WbxmlElement): void => {
      for (const c of e.children) {
        if (c instanceof WbxmlText) bodies.push(c.value);
        else if (isElement(c)) walk(c);
      }
    };
    walk(tree);
    expect(bodies.length).toBeGreaterThan(10);
    expect(Buffer.from(encode(tree)).equals(Buffer.from(wire))).toBe(true);
  });

  it('views the input and keeps no string after a read', () => {
    const wire = encode(doc(LONG));
    const tree = decode(wire, undefined, { lazyTextFrom: 1024 });
    const node = child(tree, 'Data')!.children[0] as WbxmlText;
    expect(node.utf8.buffer).toBe(wire.buffer);
    expect(node.byteLength).toBe(Buffer.byteLength(LONG));
    expect(node.value).toBe(LONG);
    // Each read decodes afresh: a fresh string, the bytes still viewed.
    expect(node.value).toBe(LONG);
    expect(node.utf8.buffer).toBe(wire.buffer);
    expect(JSON.stringify({ t: node })).toBe(JSON.stringify({ t: LONG }));
  });

  it('still rejects bad UTF-8 in a long string while decoding, at the bad byte', () => {
    const wire = encode(doc(LONG));
    const at = wire.indexOf(0x78) + 100; // inside the run of x
    wire[at] = 0xff;
    let err: unknown;
    try {
      decode(wire, undefined, { lazyTextFrom: 1024 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WbxmlError);
    expect((err as WbxmlError).code).toBe('WBXML_ERR_INVALID_UTF8');
    expect((err as WbxmlError).offset).toBe(at);
  });

  it('still counts long strings against maxTextBytes', () => {
    const wire = encode(doc(LONG));
    expect(() => decode(wire, { maxTextBytes: 1500 }, { lazyTextFrom: 1024 })).toThrow(
      expect.objectContaining({ code: 'WBXML_ERR_TEXT_TOO_LARGE' }),
    );
  });

  it('joins a lazy piece with adjacent text into one string', () => {
    // STR_I (long) then ENTITY 0x41 ('A') inside Data.
    const long = encode(doc(LONG));
    const end = long.indexOf(0, long.indexOf(0x78)); // the long string's NUL
    const wire = new Uint8Array(long.length + 2);
    wire.set(long.subarray(0, end + 1));
    wire.set([0x02, 0x41], end + 1);
    wire.set(long.subarray(end + 1), end + 3);
    const tree = decode(wire, undefined, { lazyTextFrom: 1024 });
    expect(child(tree, 'Data')!.children).toEqual([`${LONG}A`]);
  });

  it('round-trips through the XML bridge', () => {
    const tree = decode(encode(doc(LONG)), undefined, { lazyTextFrom: 16 });
    expect(textOf(path(fromXml(toXml(tree)), 'Data'))).toBe(LONG);
  });

  it('rejects a threshold below 1', () => {
    expect(() => decode(encode(doc('a')), undefined, { lazyTextFrom: 0 })).toThrow(TypeError);
  });
});
