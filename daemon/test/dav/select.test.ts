import { describe, expect, it } from 'vitest';
import type { DavCollection } from '../../src/dav/collection';
import { selectCollections } from '../../src/dav/select';

const found: DavCollection[] = [
  {
    href: '/dav/calendars/alice/personal/',
    name: 'Personal',
    type: 'calendar',
    owner: '/dav/principals/alice/',
  },
  { href: '/dav/calendars/alice/todo/', name: 'Todo', type: 'tasks' },
  {
    href: '/dav/calendars/alice/team_shared_by_bob/',
    name: 'Team',
    type: 'calendar',
    owner: '/dav/principals/bob/',
  },
  {
    href: '/dav/addressbooks/alice/shared/',
    name: 'Shared contacts',
    type: 'contacts',
    owner: '/dav/principals/bob/',
  },
];
const names = (cs: DavCollection[]) => cs.map((c) => c.name);

describe('selectCollections', () => {
  it('by default: own calendars and task lists (or no owner reported), every address book', () => {
    expect(names(selectCollections(found, { principal: '/dav/principals/alice/' }))).toEqual([
      'Personal',
      'Todo',
      'Shared contacts',
    ]);
  });

  it('without a known principal, nothing can be told shared: all are watched', () => {
    expect(names(selectCollections(found, {}))).toHaveLength(4);
  });

  it('a configured list matches display names, hrefs (with or without slash) and full URLs', () => {
    expect(
      names(
        selectCollections(found, {
          principal: '/dav/principals/alice/',
          configured: [
            'Team',
            '/dav/calendars/alice/todo',
            'https://dav.example.org/dav/calendars/alice/personal/',
          ],
        }),
      ),
    ).toEqual(['Personal', 'Todo', 'Team']);
  });

  it("only the account's kind: calendars and task lists for caldav, address books for carddav (issue 14)", () => {
    const principal = '/dav/principals/alice/';
    expect(names(selectCollections(found, { kind: 'caldav', principal }))).toEqual(['Personal', 'Todo']);
    expect(names(selectCollections(found, { kind: 'carddav', principal }))).toEqual(['Shared contacts']);
    // A configured name of the other kind is not watched either.
    expect(
      names(selectCollections(found, { kind: 'carddav', configured: ['Personal', 'Shared contacts'] })),
    ).toEqual(['Shared contacts']);
  });

  it('a URL that named one collection watches only it', () => {
    expect(names(selectCollections(found, { onlyCollection: '/dav/calendars/alice/todo/' }))).toEqual([
      'Todo',
    ]);
  });
});
