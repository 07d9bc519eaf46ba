import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, decodeDocument, el, encode } from '../src/index';
import { HEADER, wb } from './support/bytes';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/wbxml');

// <Sync><SyncKey>…</SyncKey></Sync> with the body bytes given for SyncKey's content.
const syncKey = (...content: (number | string | readonly number[])[]) => [
  0x45,
  0x4b,
  ...content.flatMap((c) =>
    typeof c === 'string' ? [...new TextEncoder().encode(c)] : typeof c === 'number' ? [c] : [...c],
  ),
  0x01,
  0x01,
];
const expected = (text: string) => el('AirSync', 'Sync', el('AirSync', 'SyncKey', text));

describe('header forms (WAP-192 §5.4)', () => {
  it('reads the EAS header 03 01 6A 00', () => {
    const d = decodeDocument(wb(...HEADER, syncKey(0x03, '42', 0)));
    expect(d.root).toEqual(expected('42'));
    expect(d.header).toEqual({
      version: 3,
      publicId: 1,
      publicIdLiteral: undefined,
      charset: 106,
      stringTableLength: 0,
    });
  });

  it('reads WBXML 1.0 (no charset field), 1.1 and 1.2 headers', () => {
    expect(decode(wb(0x00, 0x01, 0x00, syncKey(0x03, 'a', 0)))).toEqual(expected('a'));
    expect(decode(wb(0x01, 0x01, 0x6a, 0x00, syncKey(0x03, 'b', 0)))).toEqual(expected('b'));
    expect(decode(wb(0x02, 0x01, 0x6a, 0x00, syncKey(0x03, 'c', 0)))).toEqual(expected('c'));
  });

  it('resolves STR_T references into the string table, including into the middle of an entry', () => {
    // table: "Inbox\0v\0" (8 bytes); STR_T 0 → "Inbox", STR_T 2 → "box", STR_T 6 → "v"
    const bytes = wb(
      0x03,
      0x01,
      0x6a,
      0x08,
      'Inbox',
      0,
      'v',
      0,
      0x45,
      0x4b,
      0x83,
      0x00,
      0x01,
      0x52,
      0x83,
      0x02,
      0x01,
      0x4e,
      0x83,
      0x06,
      0x01,
      0x01,
    );
    const d = decodeDocument(bytes);
    expect(d.header.stringTableLength).toBe(8);
    expect(d.root).toEqual(
      el(
        'AirSync',
        'Sync',
        el('AirSync', 'SyncKey', 'Inbox'),
        el('AirSync', 'CollectionId', 'box'),
        el('AirSync', 'Status', 'v'),
      ),
    );
  });

  it('reads a literal public id from the string table (xml2wbxml default form)', () => {
    const fpi = '-//MICROSOFT//DTD ActiveSync//EN';
    const bytes = wb(0x03, 0x00, 0x00, 0x6a, fpi.length + 1, fpi, 0, syncKey(0x03, '1', 0));
    const d = decodeDocument(bytes);
    expect(d.header.publicId).toBe(0);
    expect(d.header.publicIdLiteral).toBe(fpi);
    expect(d.root).toEqual(expected('1'));
  });

  it('reads multi-byte public ids and US-ASCII charset', () => {
    expect(decodeDocument(wb(0x03, 0x81, 0x02, 0x03, 0x00, syncKey(0x03, 'x', 0))).header).toMatchObject({
      publicId: 130,
      charset: 3,
    });
  });
});

describe('content', () => {
  it('joins STR_I, STR_T and ENTITY pieces into one text child', () => {
    const bytes = wb(
      0x03,
      0x01,
      0x6a,
      0x04,
      'def',
      0,
      syncKey(0x03, 'abc', 0, 0x83, 0x00, 0x02, 0x81, 0x00, 0x03, '', 0),
    );
    expect(decode(bytes)).toEqual(expected('abcdef\u0080'));
  });

  it('keeps OPAQUE as bytes, owned by the tree', () => {
    const payload = Array.from({ length: 200 }, (_, i) => i);
    const input = wb(...HEADER, 0x00, 0x11, 0x4a, 0x4b, 0xc3, 0x81, 0x48, payload, 0x01, 0x01);
    const tree = decode(input);
    const data = (tree.children[0] as { children: unknown[] }).children[0];
    expect(data).toBeInstanceOf(Uint8Array);
    expect(Array.from(data as Uint8Array)).toEqual(payload);
    input.fill(0);
    expect(Array.from(data as Uint8Array)).toEqual(payload);
  });

  it('copies OPAQUE out of a Node Buffer too (Buffer#slice would return a view)', () => {
    const input = Buffer.from(wb(...HEADER, 0x00, 0x11, 0x4b, 0xc3, 0x03, 7, 8, 9, 0x01));
    const data = decode(input).children[0] as Uint8Array;
    expect(Object.getPrototypeOf(data)).toBe(Uint8Array.prototype);
    input.fill(0);
    expect(Array.from(data)).toEqual([7, 8, 9]);
  });

  it('reads an empty OPAQUE and an empty STR_I', () => {
    const t = decode(wb(...HEADER, 0x45, 0x4b, 0xc3, 0x00, 0x01, 0x52, 0x03, 0x00, 0x01, 0x01));
    expect(t).toEqual(
      el('AirSync', 'Sync', el('AirSync', 'SyncKey', new Uint8Array(0)), el('AirSync', 'CollectionId')),
    );
  });

  it('accepts SWITCH_PAGE before the root and keeps the page across END', () => {
    // FolderHierarchy FolderSync (page 7, 0x16) <SyncKey>0</SyncKey>, then Email:Subject
    const bytes = wb(
      ...HEADER,
      0x00,
      0x07,
      0x56,
      0x52,
      0x03,
      '0',
      0,
      0x01,
      0x00,
      0x02,
      0x54,
      0x03,
      's',
      0,
      0x01,
      0x01,
    );
    expect(decode(bytes)).toEqual(
      el('FolderHierarchy', 'FolderSync', el('FolderHierarchy', 'SyncKey', '0'), el('Email', 'Subject', 's')),
    );
  });

  it('decodes a root without content', () => {
    expect(decode(wb(...HEADER, 0x05))).toEqual(el('AirSync', 'Sync'));
  });

  it('decodes UTF-8 text of every length class, including non-ASCII in short strings', () => {
    for (const s of [
      'é',
      'Grüße',
      '日本語のテキスト',
      '😀 emoji',
      'x'.repeat(24),
      'y'.repeat(25),
      `${'z'.repeat(30)}é`,
    ]) {
      expect(decode(encode(expected(s)))).toEqual(expected(s));
    }
  });

  it('round-trips every bundled fixture byte for byte', () => {
    for (const name of [
      'foldersync-response',
      'calendar-sync',
      'mail-sync',
      'provision-response',
      'find-request',
    ]) {
      const bytes = new Uint8Array(readFileSync(resolve(FIXTURES, `${name}.wbxml`)));
      expect(Buffer.from(encode(decode(bytes))).equals(Buffer.from(bytes)), name).toBe(true);
    }
  });
});
