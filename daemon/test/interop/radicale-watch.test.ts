/**
 * The DAV watcher against a real Radicale (Debian package, scripts/radicale.sh): create, change
 * and delete events and contacts over the protocol, and assert the exact signals.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import { davAccount, FakeClock, testContext, vcard, vevent } from '../dav/support';
import {
  ensureRadicale,
  RADICALE_URL,
  RADICALE_USERS,
  RadicaleClient,
  releaseRadicale,
} from './support/radicale';

const server = await ensureRadicale();
const unavailable = 'reason' in server ? server.reason : undefined;
if (unavailable !== undefined) {
  if (process.env.CI === 'true') throw new Error(`Radicale interop suite cannot run in CI: ${unavailable}`);
  console.warn(`radicale-watch: skipped — ${unavailable}`);
}

const alice = unavailable === undefined ? new RadicaleClient('alice') : undefined;
let clock: FakeClock;
let t: ReturnType<typeof testContext>;
let watcher: DavWatcher | undefined;

function watch(kind: 'caldav' | 'carddav', extra: { url?: string; password?: string } = {}): DavWatcher {
  clock = new FakeClock();
  t = testContext('radicale');
  const password = extra.password ?? RADICALE_USERS.get('alice') ?? '';
  t.ctx.secret = { get: async () => password };
  watcher = createDavWatcher(davAccount(extra.url ?? `${RADICALE_URL}/`, { id: 'radicale', kind }), t.ctx, {
    clock,
    timeZone: 'Europe/Berlin',
  });
  watcher.start();
  return watcher;
}

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
});
afterAll(async () => {
  await releaseRadicale(server);
});

describe.skipIf(unavailable !== undefined)('Radicale: CalDAV', () => {
  let cal: string;
  beforeAll(async () => {
    await alice?.clearHome();
  });

  it('discovers from the server root, baselines silently, then announces new, moved, cancelled and deleted events', async () => {
    cal = `/alice/work-${randomUUID().slice(0, 8)}/`;
    await alice?.mkcalendar(cal, 'Work');
    await alice?.put(
      `${cal}old.ics`,
      vevent({ uid: 'old', summary: 'Old', start: '20260101T090000Z', end: '20260101T100000Z' }),
      'text/calendar',
    );
    const w = watch('caldav');
    await w.checkNow();
    expect(w.status()).toMatchObject({
      state: 'waiting',
      folders: [{ id: cal, name: 'Work', collection: 'calendar' }],
    });
    expect(t.published).toEqual([]);

    const event = (start: string, end: string, status?: string) =>
      vevent({
        uid: 'review',
        summary: 'Design review',
        start,
        end,
        location: 'Room 4',
        organizer: 'Bob Boss <bob@example.org>',
        ...(status ? { status } : {}),
      });
    await alice?.put(`${cal}review.ics`, event('20260302T090000Z', '20260302T100000Z'), 'text/calendar');
    await w.checkNow();
    await alice?.put(`${cal}review.ics`, event('20260303T140000Z', '20260303T150000Z'), 'text/calendar');
    await w.checkNow();
    await alice?.put(
      `${cal}review.ics`,
      event('20260303T140000Z', '20260303T150000Z', 'CANCELLED'),
      'text/calendar',
    );
    await w.checkNow();
    await alice?.delete(`${cal}old.ics`);
    await w.checkNow();

    const item = {
      id: `${cal}review.ics`,
      title: 'Design review',
      location: 'Room 4',
      from: 'Bob Boss <bob@example.org>',
    };
    const moved = { start: '2026-03-03T15:00:00+01:00', end: '2026-03-03T16:00:00+01:00' };
    expect(
      t.published.map((s) => ({
        source: s.source,
        collection: s.collection,
        folder: s.folder,
        added: s.added,
        changed: s.changed,
        removed: s.removed,
      })),
    ).toEqual([
      {
        source: 'caldav',
        collection: 'calendar',
        folder: { id: cal, name: 'Work' },
        added: [
          { ...item, start: '2026-03-02T10:00:00+01:00', end: '2026-03-02T11:00:00+01:00', kind: 'new' },
        ],
        changed: [],
        removed: [],
      },
      {
        source: 'caldav',
        collection: 'calendar',
        folder: { id: cal, name: 'Work' },
        added: [],
        changed: [{ ...item, ...moved, kind: 'moved' }],
        removed: [],
      },
      {
        source: 'caldav',
        collection: 'calendar',
        folder: { id: cal, name: 'Work' },
        added: [],
        changed: [{ ...item, ...moved, kind: 'cancelled' }],
        removed: [],
      },
      {
        source: 'caldav',
        collection: 'calendar',
        folder: { id: cal, name: 'Work' },
        added: [],
        changed: [],
        removed: [
          {
            id: `${cal}old.ics`,
            title: 'Old',
            start: '2026-01-01T10:00:00+01:00',
            end: '2026-01-01T11:00:00+01:00',
            kind: 'cancelled',
          },
        ],
      },
    ]);
    expect(new Set(t.published.map((s) => s.id)).size).toBe(4);
  });

  it('a recurring event with exceptions gives one signal item; a task list is typed tasks', async () => {
    await alice?.clearHome();
    cal = `/alice/team-${randomUUID().slice(0, 8)}/`;
    const todo = `/alice/todo-${randomUUID().slice(0, 8)}/`;
    await alice?.mkcalendar(cal, 'Team');
    await alice?.mkcalendar(todo, 'Todo', ['VTODO']);
    const w = watch('caldav');
    await w.checkNow();
    expect(
      w
        .status()
        .folders?.map((f) => [f.name, f.collection])
        .sort(),
    ).toEqual([
      ['Team', 'calendar'],
      ['Todo', 'tasks'],
    ]);
    await alice?.put(
      `${cal}standup.ics`,
      vevent({
        uid: 'standup',
        summary: 'Standup',
        start: '20260302T080000Z',
        end: '20260302T081500Z',
        rrule: 'FREQ=DAILY;COUNT=20',
        overrides: [
          {
            recurrenceId: '20260303T080000Z',
            start: '20260303T093000Z',
            end: '20260303T094500Z',
            summary: 'Standup (late)',
          },
        ],
      }),
      'text/calendar',
    );
    await w.checkNow();
    expect(t.published).toHaveLength(1);
    expect(t.published[0]?.added).toEqual([
      {
        id: `${cal}standup.ics`,
        title: 'Standup',
        start: '2026-03-02T09:00:00+01:00',
        end: '2026-03-02T09:15:00+01:00',
        kind: 'new',
      },
    ]);
  });

  it('an idle check changes nothing; an invalid token re-baselines without announcing the collection', async () => {
    await alice?.clearHome();
    cal = `/alice/quiet-${randomUUID().slice(0, 8)}/`;
    await alice?.mkcalendar(cal, 'Quiet');
    for (let i = 0; i < 3; i++) {
      await alice?.put(
        `${cal}e${i}.ics`,
        vevent({ uid: `e${i}`, summary: `E${i}`, start: '20260301T090000Z', end: '20260301T100000Z' }),
        'text/calendar',
      );
    }
    const w = watch('caldav');
    const steps: string[] = [];
    t.ctx.log = pino({ level: 'debug' }, { write: (line: string) => void steps.push(JSON.parse(line).step) });
    await w.checkNow();
    await w.checkNow();
    // Make Radicale forget its sync history: the stored token then fails valid-sync-token.
    await rm(
      `${process.env.TIDINGS_RADICALE_ROOT ?? '/tmp/tidings-radicale'}/collections/collection-root${cal}.Radicale.cache/sync-token`,
      {
        recursive: true,
        force: true,
      },
    );
    await alice?.put(
      `${cal}e9.ics`,
      vevent({ uid: 'e9', summary: 'E9', start: '20260301T090000Z', end: '20260301T100000Z' }),
      'text/calendar',
    );
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
    expect(steps.filter(Boolean)).toEqual(['baseline', 'none', 'rebaseline']);
    expect(t.published.map((s) => s.added.map((i) => i.title))).toEqual([['E9']]);
  });

  it('a wrong password → needs-credentials, nothing published', async () => {
    const w = watch('caldav', { password: 'wrong' });
    await w.checkNow();
    expect(w.status()).toMatchObject({
      state: 'needs-credentials',
      lastError: { code: 'DAV_ERR_UNAUTHORIZED' },
    });
    expect(t.published).toEqual([]);
  });
});

describe.skipIf(unavailable !== undefined)('Radicale: CardDAV', () => {
  it('finds the address book through /.well-known/carddav and announces new, changed and deleted contacts', async () => {
    await alice?.clearHome();
    const book = `/alice/contacts-${randomUUID().slice(0, 8)}/`;
    await alice?.mkaddressbook(book, 'Contacts');
    const w = watch('carddav', { url: `${RADICALE_URL}/.well-known/carddav` });
    await w.checkNow();
    expect(w.status().folders).toEqual([{ id: book, name: 'Contacts', collection: 'contacts' }]);
    await alice?.put(`${book}ada.vcf`, vcard('ada', 'Ada Lovelace', 'ada@example.org'), 'text/vcard');
    await w.checkNow();
    await alice?.put(`${book}ada.vcf`, vcard('ada', 'Ada King', 'ada@example.org'), 'text/vcard');
    await w.checkNow();
    await alice?.delete(`${book}ada.vcf`);
    await w.checkNow();
    const id = `${book}ada.vcf`;
    expect(t.published.map((s) => [s.source, s.collection, s.added, s.changed, s.removed])).toEqual([
      ['carddav', 'contacts', [{ id, title: 'Ada Lovelace', preview: 'ada@example.org' }], [], []],
      ['carddav', 'contacts', [], [{ id, title: 'Ada King', preview: 'ada@example.org' }], []],
      ['carddav', 'contacts', [], [], [{ id, title: 'Ada King', preview: 'ada@example.org' }]],
    ]);
  });
});
