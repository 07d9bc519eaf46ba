import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCodePages, DEFAULT_REFERENCE } from '../scripts/gen-codepages';
import {
  CODE_PAGES,
  codePage,
  compareVersions,
  decode,
  el,
  encode,
  NAMESPACES,
  tagAvailableIn,
  tagByToken,
  tagInfo,
} from '../src/index';
import { HEADER, hex, wb } from './support/bytes';

// The cross-checked reference table (wbxml/reference, a copy of shared/reference) is part of
// the repository, so these checks always run.
const reference = (JSON.parse(readFileSync(DEFAULT_REFERENCE, 'utf8')) as { pages: RefPage[] }).pages;

interface RefPage {
  page: number;
  namespace: string;
  tags: Record<string, string>;
}

/** Every (page, token, name), straight from the reference JSON when present. */
const refTokens = reference.flatMap((p) =>
  Object.entries(p.tags).map(([t, name]) => ({
    page: p.page,
    ns: p.namespace,
    token: Number.parseInt(t, 16),
    name,
  })),
);

describe('generated code pages', () => {
  it('match the cross-checked reference table exactly', () => {
    expect(CODE_PAGES).toEqual(buildCodePages());
  });

  it('hold all 652 tokens of pages 0-25', () => {
    expect(refTokens).toHaveLength(652);
    expect(CODE_PAGES.reduce((n, p) => n + p.tags.length, 0)).toBe(652);
  });

  it('cover pages 0-25 in order with the MS-ASWBXML namespace names', () => {
    expect(CODE_PAGES.map((p) => p.page)).toEqual(Array.from({ length: 26 }, (_, i) => i));
    expect(NAMESPACES[0]).toBe('AirSync');
    expect(NAMESPACES[17]).toBe('AirSyncBase');
    expect(NAMESPACES[25]).toBe('Find');
    expect(codePage('Email')?.page).toBe(2);
    expect(codePage(16)?.namespace).toBe('GAL');
  });

  it('carry the version that introduced each tag', () => {
    expect(tagInfo('AirSync', 'Wait')?.introduced).toBe('12.1');
    expect(tagInfo('MeetingResponse', 'ProposedStartTime')?.introduced).toBe('16.1');
    expect(tagInfo('Find', 'Find')).toMatchObject({ page: 25, token: 0x05, introduced: '16.1' });
    expect(tagInfo('Email', 'Body')?.legacy).toBe(true);
    expect(tagAvailableIn('Find', 'Find', '16.0')).toBe(false);
    expect(tagAvailableIn('Find', 'Find', '16.1')).toBe(true);
    expect(tagAvailableIn('Email', 'Subject', '2.5')).toBe(true);
    expect(compareVersions('12.1', '14.0')).toBeLessThan(0);
    expect(() => compareVersions('13.0' as never, '14.0')).toThrow(/unknown EAS protocol version 13.0/);
    expect(tagByToken(7, 0x16)?.name).toBe('FolderSync');
  });
});

describe('every token of every page (table test against the reference JSON)', () => {
  it.each(refTokens)('page $page token $token $ns:$name', ({ page, ns, token, name }) => {
    // Hand-built wire form: <Sync> [SWITCH_PAGE p] <tag>v1</tag> </Sync>
    const wire = wb(
      ...HEADER,
      0x45,
      page === 0 ? [] : [0x00, page],
      token | 0x40,
      0x03,
      'v1',
      0x00,
      0x01,
      0x01,
    );
    const tree = el('AirSync', 'Sync', el(ns, name, 'v1'));
    expect(hex(encode(tree))).toBe(hex(wire));
    expect(decode(wire)).toEqual(tree);
    // Empty: the bare token, no content bit.
    const bare = wb(...HEADER, 0x45, page === 0 ? [] : [0x00, page], token, 0x01);
    expect(hex(encode(el('AirSync', 'Sync', el(ns, name))))).toBe(hex(bare));
    expect(decode(bare)).toEqual(el('AirSync', 'Sync', el(ns, name)));
  });
});
