import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildDelta,
  type CollectionState,
  etagSetKey,
  hrefsToFetch,
  planCollection,
  signalId,
} from '../../src/dav/changes';
import type { DavCollection } from '../../src/dav/collection';
import { diffEtags } from '../../src/dav/etag-diff';

const col = (o: Partial<DavCollection> = {}): DavCollection => ({
  href: '/cal/a/work/',
  name: 'Work',
  type: 'calendar',
  ...o,
});
const state = (o: Partial<CollectionState> = {}): CollectionState => ({
  name: 'Work',
  type: 'calendar',
  items: {},
  ...o,
});

describe('planCollection', () => {
  it('takes a baseline on first sight and does nothing while the token stands still', () => {
    expect(planCollection(col({ syncToken: 't1' }), undefined)).toEqual({ kind: 'baseline' });
    expect(planCollection(col({ syncToken: 't1' }), state({ token: 't1' }))).toEqual({ kind: 'none' });
  });
  it('syncs from the stored token when the token moved', () => {
    expect(planCollection(col({ syncToken: 't2' }), state({ token: 't1' }))).toEqual({
      kind: 'sync',
      from: 't1',
    });
  });
  it('falls back to ETags: on a moved ctag, or every time without ctag and token', () => {
    expect(planCollection(col({ ctag: '5' }), state({ ctag: '5' }))).toEqual({ kind: 'none' });
    expect(planCollection(col({ ctag: '6' }), state({ ctag: '5' }))).toEqual({ kind: 'etag' });
    expect(planCollection(col(), state())).toEqual({ kind: 'etag' });
  });
});

describe('diffEtags', () => {
  it('partitions every href into exactly one of added, changed, removed or unchanged', () => {
    const entry = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.constantFrom('"1"', '"2"'));
    fc.assert(
      fc.property(fc.array(entry), fc.array(entry), (x, y) => {
        const before = new Map(x);
        const now = new Map(y);
        const d = diffEtags(before, now);
        for (const h of new Set([...before.keys(), ...now.keys()])) {
          const inAdded = d.added.includes(h);
          const inChanged = d.changed.includes(h);
          const inRemoved = d.removed.includes(h);
          expect(inAdded).toBe(!before.has(h) && now.has(h));
          expect(inRemoved).toBe(before.has(h) && !now.has(h));
          expect(inChanged).toBe(before.has(h) && now.has(h) && before.get(h) !== now.get(h));
        }
      }),
    );
  });
});

describe('buildDelta', () => {
  const stored = state({
    token: 't1',
    items: {
      '/cal/a/work/1.ics': {
        etag: '"a"',
        title: 'Lunch',
        start: '2026-03-01T12:00:00Z',
        end: '2026-03-01T13:00:00Z',
      },
      '/cal/a/work/2.ics': {
        etag: '"b"',
        title: 'Gym',
        start: '2026-03-02T18:00:00Z',
        end: '2026-03-02T19:00:00Z',
      },
      '/cal/a/work/3.ics': { etag: '"c"', title: 'Call' },
    },
  });
  const input = {
    accountId: 'acct',
    source: 'caldav' as const,
    collection: col({ syncToken: 't2' }),
    stored,
    changes: {
      upserted: [
        { href: '/cal/a/work/1.ics', etag: '"a2"' },
        { href: '/cal/a/work/4.ics', etag: '"d"' },
        { href: '/cal/a/work/3.ics', etag: '"c"' },
      ],
      removed: ['/cal/a/work/2.ics', '/cal/a/work/unknown.ics'],
    },
    fetched: new Map([
      [
        '/cal/a/work/1.ics',
        {
          etag: '"a2"',
          digest: { title: 'Lunch', start: '2026-03-01T13:00:00Z', end: '2026-03-01T14:00:00Z' },
        },
      ],
      ['/cal/a/work/4.ics', { etag: '"d"', digest: { title: 'Dentist', start: '2026-03-05T09:00:00Z' } }],
    ]),
    fromKey: 't1',
    toKey: 't2',
    token: 't2',
    observedAt: '2026-11-25T12:00:00.000Z',
  };

  it('announces new, moved and cancelled items and stores the new token and digests', () => {
    const { state: next, signal } = buildDelta(input);
    expect(signal).toEqual({
      id: expect.stringMatching(/^dav-[0-9a-f]{32}$/),
      accountId: 'acct',
      source: 'caldav',
      collection: 'calendar',
      folder: { id: '/cal/a/work/', name: 'Work' },
      added: [{ id: '/cal/a/work/4.ics', title: 'Dentist', start: '2026-03-05T09:00:00Z', kind: 'new' }],
      changed: [
        {
          id: '/cal/a/work/1.ics',
          title: 'Lunch',
          start: '2026-03-01T13:00:00Z',
          end: '2026-03-01T14:00:00Z',
          kind: 'moved',
        },
      ],
      removed: [
        {
          id: '/cal/a/work/2.ics',
          title: 'Gym',
          start: '2026-03-02T18:00:00Z',
          end: '2026-03-02T19:00:00Z',
          kind: 'cancelled',
        },
      ],
      observedAt: '2026-11-25T12:00:00.000Z',
    });
    expect(next.token).toBe('t2');
    expect(Object.keys(next.items).sort()).toEqual([
      '/cal/a/work/1.ics',
      '/cal/a/work/3.ics',
      '/cal/a/work/4.ics',
    ]);
    expect(next.items['/cal/a/work/1.ics']?.etag).toBe('"a2"');
  });

  it('fetches only hrefs whose ETag we do not have', () => {
    expect(hrefsToFetch(stored, input.changes)).toEqual(['/cal/a/work/1.ics', '/cal/a/work/4.ics']);
  });

  it('gives the same id for the same step and announces nothing when nothing a person sees changed', () => {
    expect(buildDelta(input).signal?.id).toBe(buildDelta(input).signal?.id);
    const quiet = buildDelta({
      ...input,
      changes: { upserted: [{ href: '/cal/a/work/3.ics', etag: '"c"' }], removed: [] },
      fetched: new Map(),
    });
    expect(quiet.signal).toBeUndefined();
    expect(quiet.state.token).toBe('t2');
  });

  it('gives different ids to the same token pair announcing different items (SOGo: one token pair per second)', () => {
    const only = (href: string, etag: string) =>
      buildDelta({
        ...input,
        changes: { upserted: [{ href, etag }], removed: [] },
        fetched: new Map([[href, { etag, digest: { title: href } }]]),
      }).signal?.id;
    const a = only('/cal/a/work/5.ics', '"x"');
    expect(a).toMatch(/^dav-[0-9a-f]{32}$/);
    expect(only('/cal/a/work/5.ics', '"x"')).toBe(a);
    expect(only('/cal/a/work/6.ics', '"y"')).not.toBe(a);
    expect(only('/cal/a/work/5.ics', '"z"')).not.toBe(a);
    expect(signalId('acct', '/c/', 't1', 't2', 'k1')).not.toBe(signalId('acct', '/c/', 't1', 't2', 'k2'));
  });

  it('hashes ETag sets independent of order', () => {
    expect(
      etagSetKey([
        ['a', '1'],
        ['b', '2'],
      ]),
    ).toBe(
      etagSetKey([
        ['b', '2'],
        ['a', '1'],
      ]),
    );
    expect(etagSetKey([['a', '1']])).not.toBe(etagSetKey([['a', '2']]));
  });
});

describe('ETags as servers spell them (issue 14)', () => {
  it('normalizeEtag: trimmed, weak prefix dropped, quoted; sameEtag needs both known', async () => {
    const { normalizeEtag, sameEtag } = await import('../../src/dav/etag');
    expect(
      ['"a1"', ' "a1" ', 'W/"a1"', '\n w/"a1"\n', 'a1', '', undefined].map((e) => normalizeEtag(e)),
    ).toEqual(['"a1"', '"a1"', '"a1"', '"a1"', '"a1"', undefined, undefined]);
    expect(sameEtag('W/"a1"', '"a1"')).toBe(true);
    expect(sameEtag('"a1"', '"a2"')).toBe(false);
    expect(sameEtag(undefined, undefined)).toBe(false);
  });
});

describe('looksLikeFullListing (issue 14, 4)', () => {
  it('a re-listed unchanged member or half the collection without removals; never an empty state', async () => {
    const { looksLikeFullListing } = await import('../../src/dav/check');
    const stored = {
      name: 'W',
      type: 'calendar' as const,
      items: { '/a': { etag: '"1"' }, '/b': { etag: '"2"' }, '/c': { etag: '"3"' }, '/d': { etag: '"4"' } },
    };
    expect(looksLikeFullListing(stored, { changed: [{ href: '/a', etag: 'W/"1"' }], removed: [] })).toBe(
      true,
    );
    expect(looksLikeFullListing(stored, { changed: [{ href: '/a', etag: '"9"' }], removed: [] })).toBe(false);
    expect(
      looksLikeFullListing(stored, {
        changed: [
          { href: '/a', etag: '"9"' },
          { href: '/b', etag: '"8"' },
        ],
        removed: [],
      }),
    ).toBe(true);
    expect(
      looksLikeFullListing(stored, {
        changed: [
          { href: '/a', etag: '"9"' },
          { href: '/b', etag: '"8"' },
        ],
        removed: ['/c'],
      }),
    ).toBe(false);
    expect(looksLikeFullListing({ ...stored, items: {} }, { changed: [{ href: '/x' }], removed: [] })).toBe(
      false,
    );
  });
});
