/**
 * Differential tests against libwbxml (Debian libwbxml2-utils), a separate WBXML implementation:
 * both encoders must produce the same bytes, and each decoder must read the other's output,
 * for every tag libwbxml 0.11.8 knows. Tags it lacks (the Find page, a few 16.1 and legacy
 * tokens) are covered by codepages.test.ts. Byte comparison also catches libwbxml's silent
 * cross-page fallback, which its exit code hides (libwbxml-coverage.md, point 1).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CODE_PAGES,
  decode,
  decodeDocument,
  el,
  encode,
  fromXml,
  isElement,
  type WbxmlElement,
  type WbxmlNode,
} from '../src/index';
import { hex } from './support/bytes';
import { Libwbxml, libwbxmlMissing, toLibwbxmlXml } from './support/libwbxml';

const missing = libwbxmlMissing();
if (missing) {
  if (process.env.CI === 'true') throw new Error(`CI: libwbxml interop cannot run: ${missing}`);
  console.warn(`libwbxml.test: skipped locally: ${missing}`);
}
const FIXTURES = resolve(import.meta.dirname, '../../fixtures/wbxml');

/** Per page: every tag libwbxml knows, under an AirSync:Sync root, with a distinct value. */
function pageDocument(page: number): { tree: WbxmlElement; tags: number } {
  const p = CODE_PAGES[page]!;
  const kids: WbxmlElement[] = [];
  for (const t of p.tags) {
    if (t.libwbxmlName === null) continue;
    const value: WbxmlNode = t.libwbxmlBinary
      ? Uint8Array.from([page, t.token, 0, 255])
      : `v${page}.${t.token}`;
    kids.push(el(p.namespace, t.name, value));
  }
  return { tree: el('AirSync', 'Sync', kids), tags: kids.length };
}

/** What our tree looks like after libwbxml's XML: binary tags come back as base64 text; CR LF as LF. */
function asLibwbxmlSees(node: WbxmlElement): WbxmlElement {
  return {
    ns: node.ns,
    tag: node.tag,
    children: node.children.map((c) =>
      typeof c === 'string'
        ? c.replace(/\r\n/g, '\n')
        : c instanceof Uint8Array
          ? Buffer.from(c).toString('base64')
          : isElement(c)
            ? asLibwbxmlSees(c)
            : c.value,
    ),
  };
}

describe.skipIf(missing !== undefined)('libwbxml 0.11.8 interop', () => {
  const lib = missing ? undefined : new Libwbxml();
  afterAll(() => lib?.close());
  let tagsChecked = 0;

  it.each(CODE_PAGES.map((p) => [p.page, p.namespace] as const))(
    'page %i (%s): same bytes both ways',
    (page) => {
      const { tree, tags } = pageDocument(page);
      if (tags === 0) {
        // The Find page (16.1) is unknown to libwbxml 0.11.8.
        expect(CODE_PAGES[page]!.namespace).toBe('Find');
        return;
      }
      const ours = encode(tree);
      const theirs = lib!.encode(toLibwbxmlXml(tree));
      expect(hex(theirs)).toBe(hex(ours));
      // Our decoder reads libwbxml's bytes; libwbxml's decoder reads ours.
      expect(decode(theirs)).toEqual(tree);
      expect(fromXml(lib!.decode(ours), { libwbxmlNames: true })).toEqual(asLibwbxmlSees(tree));
      tagsChecked += tags;
    },
  );

  it('covered the 618 tags libwbxml knows', () => {
    expect(tagsChecked).toBe(618);
  });

  it.each([
    'foldersync-response',
    'calendar-sync',
    'ping-request',
    'ping-response',
    'settings-request',
    'itemoperations-fetch-response',
  ])('realistic document %s: same bytes both ways', (name) => {
    const bytes = new Uint8Array(readFileSync(resolve(FIXTURES, `${name}.wbxml`)));
    const tree = decode(bytes);
    expect(hex(lib!.encode(toLibwbxmlXml(tree)))).toBe(hex(bytes));
    expect(asLibwbxmlSees(fromXml(lib!.decode(bytes), { libwbxmlNames: true }))).toEqual(
      asLibwbxmlSees(tree),
    );
  });

  it('mail Sync with MIME bodies as OPAQUE in AirSyncBase:Data: libwbxml reads our bytes', () => {
    // libwbxml cannot write OPAQUE for AirSyncBase:Data (not a binary tag there), so this direction only;
    // it prints the opaque MIME as text, which must match the bytes we carried.
    const bytes = new Uint8Array(readFileSync(resolve(FIXTURES, 'mail-sync.wbxml')));
    const theirs = fromXml(lib!.decode(bytes), { libwbxmlNames: true });
    const ours = decode(bytes);
    const asText = (n: WbxmlElement): WbxmlElement => ({
      ...n,
      children: n.children.map((c) =>
        // libwbxml trims leading and trailing whitespace of text (libwbxml-coverage.md, point 4).
        c instanceof Uint8Array && n.tag === 'Data'
          ? new TextDecoder().decode(c).trim()
          : isElement(c)
            ? asText(c)
            : c,
      ),
    });
    expect(asLibwbxmlSees(theirs)).toEqual(asLibwbxmlSees(asText(ours)));
  });

  it('decodes the xml2wbxml default form: literal public id, string table, STR_T pieces', () => {
    const tree = decode(new Uint8Array(readFileSync(resolve(FIXTURES, 'foldersync-response.wbxml'))));
    const base = toLibwbxmlXml(tree);
    // Without -a -n, xml2wbxml writes public id 0 + "-//MICROSOFT//DTD ActiveSync//EN" and a string table.
    const defaultForm = lib!.encodeDefault(base);
    const doc = decodeDocument(defaultForm);
    expect(doc.header).toMatchObject({
      version: 3,
      publicId: 0,
      publicIdLiteral: '-//MICROSOFT//DTD ActiveSync//EN',
    });
    expect(doc.header.stringTableLength).toBeGreaterThan(33);
    expect(Array.from(defaultForm)).toContain(0x83); // STR_T pieces
    expect(doc.root).toEqual(tree);
  });
});
