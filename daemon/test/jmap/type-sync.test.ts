import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type JmapFixture, startJmapFixture } from '../../../fixtures/src/jmap-server';
import type { MethodCall } from '../../src/jmap/api';
import { basicAuth } from '../../src/jmap/auth';
import { sessionConn } from '../../src/jmap/connection';
import {
  CAP_CALENDARS,
  CAP_CONTACTS,
  CAP_CYRUS_CALENDARS,
  CAP_CYRUS_CONTACTS,
  pushTypesFor,
  sessionTypes,
} from '../../src/jmap/data-types';
import { JmapError } from '../../src/jmap/errors';
import type { JmapConn } from '../../src/jmap/mail-sync';
import { eventSourceUrl } from '../../src/jmap/push/eventsource';
import { fetchSession, type JmapSession, parseSession } from '../../src/jmap/session';
import { createTransport } from '../../src/jmap/transport';
import {
  followTypes,
  ITEM_CAP,
  syncTypes,
  type TypeStates,
  type TypeSyncOptions,
  typesBehind,
} from '../../src/jmap/type-sync';

let fx: JmapFixture | undefined;
const agents: Agent[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
  await fx?.close();
  fx = undefined;
});

const opts: TypeSyncOptions = { accountId: 'acct', self: ['Alice@Example.org'], now: () => 1_000 };

/** A real connection to the fixture: transport, session, sessionConn — what the watcher uses. */
async function connect(f: JmapFixture): Promise<{ conn: JmapConn; session: JmapSession; calls: string[][] }> {
  const dispatcher = new Agent({ connections: 2 });
  agents.push(dispatcher);
  const http = createTransport({ dispatcher, auth: basicAuth('alice', { get: async () => 'secret' }) });
  const session = await fetchSession(http, f.url);
  const conn = sessionConn(http, session, () => undefined);
  const calls: string[][] = [];
  return {
    conn: {
      ...conn,
      call: ((c: MethodCall<unknown>[]) => {
        calls.push(c.map((x) => x.name));
        return conn.call(c);
      }) as JmapConn['call'],
    },
    session,
    calls,
  };
}

/** Runs syncTypes the way the watcher does: commit (keep) the states, hand back the signals. */
async function round(conn: JmapConn, session: JmapSession, stored: { v?: TypeStates }) {
  const r = await syncTypes(conn, session, stored.v, opts);
  stored.v = r.states;
  return r;
}

describe('which calendar and contacts types a session offers', () => {
  const base = new URL('https://mail.example.org/jmap/session');
  const session = (caps: string[], extra: Record<string, unknown> = {}) =>
    parseSession(
      {
        capabilities: Object.fromEntries(
          ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', ...caps].map((c) => [c, {}]),
        ),
        accounts: {
          u1: {
            name: 'alice',
            accountCapabilities: Object.fromEntries(
              ['urn:ietf:params:jmap:mail', ...caps].map((c) => [c, {}]),
            ),
          },
        },
        primaryAccounts: { 'urn:ietf:params:jmap:mail': 'u1' },
        apiUrl: '/jmap/',
        state: '0',
        ...extra,
      },
      base,
    );

  it('takes the IETF capabilities, Cyrus 3.6 namespaces where only those are offered, and nothing else', () => {
    expect(sessionTypes(session([])).map((s) => s.key)).toEqual([]);
    expect(sessionTypes(session([CAP_CALENDARS, CAP_CONTACTS])).map((s) => s.key)).toEqual([
      'calendars',
      'contacts',
    ]);
    const cyrus = sessionTypes(session([CAP_CYRUS_CALENDARS, CAP_CYRUS_CONTACTS]));
    expect(cyrus.map((s) => [s.key, s.type])).toEqual([
      ['cyrus-calendars', 'CalendarEvent'],
      ['cyrus-contacts', 'Contact'],
    ]);
    expect(pushTypesFor(cyrus)).toEqual(['CalendarEvent', 'Calendar', 'Contact']);
    // Both offered: the IETF one, once per collection.
    expect(sessionTypes(session([CAP_CYRUS_CALENDARS, CAP_CALENDARS])).map((s) => s.key)).toEqual([
      'calendars',
    ]);
  });

  it('skips what Cyrus names in primaryAccounts without offering it, and types of another account', () => {
    // Debian's Cyrus without jmap_nonstandard_extensions: primaryAccounts names its namespaces anyway.
    const s = session([], {
      primaryAccounts: { 'urn:ietf:params:jmap:mail': 'u1', [CAP_CYRUS_CALENDARS]: 'u1' },
    });
    expect(sessionTypes(s)).toEqual([]);
    const other = session([CAP_CALENDARS], {
      accounts: {
        u1: { name: 'alice', accountCapabilities: { 'urn:ietf:params:jmap:mail': {}, [CAP_CALENDARS]: {} } },
        u2: { name: 'shared', accountCapabilities: { [CAP_CALENDARS]: {} } },
      },
      primaryAccounts: { 'urn:ietf:params:jmap:mail': 'u1', [CAP_CALENDARS]: 'u2' },
    });
    expect(sessionTypes(other)).toEqual([]);
  });

  it('names the types in the EventSource URL', () => {
    const url = eventSourceUrl('https://h/es?types={types}&closeafter={closeafter}&ping={ping}', 30, [
      'Email',
      'Mailbox',
      'CalendarEvent',
      'Calendar',
    ]);
    expect(url.searchParams.get('types')).toBe('Email,Mailbox,CalendarEvent,Calendar');
  });
});

describe('syncTypes over the fixture (JMAP Calendars, RFC 9610 Contacts)', () => {
  it('a silent baseline, then one signal per created event with its content, and nothing when idle', async () => {
    fx = await startJmapFixture({ calendars: true, contacts: true });
    fx.pim.addEvent({ title: 'old meeting', start: '2026-01-01T10:00:00', timeZone: 'Europe/Berlin' });
    const { conn, session, calls } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    const first = await round(conn, session, stored);
    expect(first.signals).toEqual([]);
    expect(stored.v!.types.calendars).toMatchObject({
      state: fx.pim.states().CalendarEvent,
      containers: { 'cal-personal': 'Personal' },
    });
    expect(stored.v!.types.contacts!.containers).toEqual({ 'ab-personal': 'Personal' });

    const id = fx.pim.addEvent({
      title: 'Planning',
      start: '2026-03-02T10:00:00',
      duration: 'PT1H30M',
      timeZone: 'Europe/Berlin',
      locations: { l1: { name: 'Room 4' } },
      participants: {
        o: { name: 'Bob', email: 'bob@example.org', roles: { owner: true }, participationStatus: 'accepted' },
      },
    });
    calls.length = 0;
    const r = await round(conn, session, stored);
    expect(r.signals).toHaveLength(1);
    expect(r.signals[0]).toMatchObject({
      accountId: 'acct',
      source: 'jmap',
      collection: 'calendar',
      folder: { id: 'cal-personal', name: 'Personal' },
      changed: [],
      removed: [],
    });
    expect(r.signals[0]!.added).toEqual([
      {
        id,
        title: 'Planning',
        // Berlin is UTC+1 in March before the switch.
        start: '2026-03-02T09:00:00Z',
        end: '2026-03-02T10:30:00Z',
        location: 'Room 4',
        from: 'Bob <bob@example.org>',
        kind: 'new',
      },
    ]);
    // One request per type: /changes, the /get of created and updated, the container /changes.
    expect(calls).toEqual([
      ['CalendarEvent/changes', 'CalendarEvent/get', 'CalendarEvent/get', 'Calendar/changes'],
      ['ContactCard/changes', 'ContactCard/get', 'ContactCard/get', 'AddressBook/changes'],
    ]);
    // Idle: nothing to commit (the very same states object), nothing announced.
    const before = stored.v;
    const idle = await round(conn, session, stored);
    expect(idle.signals).toEqual([]);
    expect(idle.states).toBe(before);
  });

  it('update, cancellation and deletion: changed (updated), cancelled, removed in the calendar it was in', async () => {
    fx = await startJmapFixture({ calendars: true });
    const work = fx.pim.createContainer('Calendar', 'Work');
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    const a = fx.pim.addEvent({
      calendar: 'Work',
      title: 'Review',
      start: '2026-05-01T09:00:00',
      timeZone: 'UTC',
    });
    const b = fx.pim.addEvent({ title: 'Dentist', start: '2026-05-02T09:00:00' });
    const added = await round(conn, session, stored);
    expect(added.signals.map((s) => [s.folder.name, s.added.map((i) => i.id)])).toEqual([
      ['Work', [a]],
      ['Personal', [b]],
    ]);
    // Floating time (no timeZone): the wall time as written.
    expect(added.signals[1]!.added[0]!.start).toBe('2026-05-02T09:00:00');

    fx.pim.update('CalendarEvent', a, { title: 'Review (moved)', start: '2026-05-01T11:00:00' });
    const upd = await round(conn, session, stored);
    expect(upd.signals).toHaveLength(1);
    expect(upd.signals[0]!.changed).toEqual([
      { id: a, title: 'Review (moved)', start: '2026-05-01T11:00:00Z', kind: 'updated' },
    ]);

    fx.pim.update('CalendarEvent', a, { status: 'cancelled' });
    const cancelled = await round(conn, session, stored);
    expect(cancelled.signals[0]!.changed[0]).toMatchObject({ id: a, kind: 'cancelled' });

    fx.pim.destroy('CalendarEvent', a);
    const gone = await round(conn, session, stored);
    expect(gone.signals).toHaveLength(1);
    expect(gone.signals[0]).toMatchObject({
      folder: { id: work, name: 'Work' },
      removed: [{ id: a, kind: 'cancelled' }],
      added: [],
    });
  });

  it("an event that asks one of the user's addresses to answer is an invitation; the user's own meeting is not", async () => {
    fx = await startJmapFixture({ calendars: true });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    const invite = fx.pim.addEvent({
      title: 'Board meeting',
      start: '2026-06-01T14:00:00',
      timeZone: 'America/New_York',
      replyTo: { imip: 'mailto:carol@example.org' },
      participants: {
        c: { name: 'Carol', sendTo: { imip: 'mailto:carol@example.org' }, roles: { owner: true } },
        me: {
          sendTo: { imip: 'mailto:alice@example.org' },
          roles: { attendee: true },
          participationStatus: 'needs-action',
          expectReply: true,
        },
      },
    });
    const own = fx.pim.addEvent({
      title: 'My meeting',
      start: '2026-06-02T14:00:00',
      participants: {
        me: { sendTo: { imip: 'mailto:alice@example.org' }, roles: { owner: true, attendee: true } },
        d: { sendTo: { imip: 'mailto:dave@example.org' }, roles: { attendee: true }, expectReply: true },
      },
    });
    const r = await round(conn, session, stored);
    const byId = new Map(r.signals[0]!.added.map((i) => [i.id, i]));
    // New York is UTC-4 in June (daylight time).
    expect(byId.get(invite)).toMatchObject({
      kind: 'invitation',
      from: 'Carol <carol@example.org>',
      start: '2026-06-01T18:00:00Z',
    });
    expect(byId.get(own)).toMatchObject({ kind: 'new', from: 'alice@example.org' });
  });

  it('contacts: a new card by its name, an address when it has none, changed and removed', async () => {
    fx = await startJmapFixture({ contacts: true });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    expect((await round(conn, session, stored)).signals).toEqual([]);
    expect(Object.keys(stored.v!.types)).toEqual(['contacts']);
    const ada = fx.pim.addCard({
      name: {
        components: [
          { kind: 'given', value: 'Ada' },
          { kind: 'surname', value: 'Lovelace' },
        ],
      },
    });
    const bare = fx.pim.addCard({ emails: { e: { address: 'x@example.org' } } });
    const r = await round(conn, session, stored);
    expect(r.signals).toHaveLength(1);
    expect(r.signals[0]).toMatchObject({
      collection: 'contacts',
      folder: { id: 'ab-personal', name: 'Personal' },
    });
    expect(r.signals[0]!.added).toEqual([
      { id: ada, title: 'Ada Lovelace' },
      { id: bare, title: 'x@example.org' },
    ]);
    fx.pim.update('ContactCard', ada, { name: { full: 'Countess of Lovelace' } });
    fx.pim.destroy('ContactCard', bare);
    const r2 = await round(conn, session, stored);
    expect(r2.signals[0]).toMatchObject({
      added: [],
      changed: [{ id: ada, title: 'Countess of Lovelace' }],
      removed: [{ id: bare }],
    });
  });

  it('pages /changes by maxChanges and hasMoreChanges; beyond one call, more asks for another', async () => {
    fx = await startJmapFixture({ calendars: true, maxObjectsInGet: 2 });
    const { conn, session, calls } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    const ids = Array.from({ length: 20 }, (_, i) => fx!.pim.addEvent({ title: `e${i}` }));
    calls.length = 0;
    const r1 = await round(conn, session, stored);
    // 8 pages of 2 in one call, then the caller commits and calls again.
    expect(r1.more).toBe(true);
    expect(calls).toHaveLength(8);
    expect(r1.signals[0]!.added.map((i) => i.id)).toEqual(ids.slice(0, 16));
    const r2 = await round(conn, session, stored);
    expect(r2.more).toBe(false);
    expect(r2.signals[0]!.added.map((i) => i.id)).toEqual(ids.slice(16));
  });

  it('followTypes commits each call with its signals until no type has more, and nothing when idle', async () => {
    fx = await startJmapFixture({ calendars: true, maxObjectsInGet: 2 });
    const { conn, session } = await connect(fx);
    let stored: TypeStates | undefined;
    const commits: { states: TypeStates; ids: string[] }[] = [];
    const store = {
      get: () => stored,
      commit: (states: TypeStates, signals: { added: { id: string }[] }[]) => {
        stored = states;
        commits.push({ states, ids: signals.flatMap((s) => s.added.map((i) => i.id)) });
      },
    };
    await followTypes(conn, session, store, opts);
    expect(commits).toHaveLength(1); // the baseline
    expect(commits[0]!.ids).toEqual([]);
    const ids = Array.from({ length: 20 }, (_, i) => fx!.pim.addEvent({ title: `e${i}` }));
    await followTypes(conn, session, store, opts);
    // Two calls (16, then 4), each committed with its own signals.
    expect(commits.slice(1).map((c) => c.ids)).toEqual([ids.slice(0, 16), ids.slice(16)]);
    expect(stored!.types.calendars!.state).toBe(fx.pim.states().CalendarEvent);
    await followTypes(conn, session, store, opts);
    expect(commits).toHaveLength(3);
    // Stopping between calls: nothing more is asked.
    fx.pim.addEvent({ title: 'late' });
    await followTypes(conn, session, store, { ...opts, stopped: () => true });
    expect(commits).toHaveLength(3);
  });

  it('created and destroyed within one call announces nothing; a replay from the same state gives the same ids', async () => {
    fx = await startJmapFixture({ calendars: true, maxObjectsInGet: 1 });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    // One change per page: flash is created on one page and destroyed on a later one.
    const keep = fx.pim.addEvent({ title: 'keep' });
    const flash = fx.pim.addEvent({ title: 'flash' });
    const other = fx.pim.addEvent({ title: 'other' });
    fx.pim.destroy('CalendarEvent', flash);
    const from = stored.v;
    const r = await round(conn, session, stored);
    expect(r.signals.flatMap((s) => [...s.added, ...s.removed]).map((i) => i.id)).toEqual([keep, other]);
    // kill -9 before the commit: the next start asks again from the old state.
    const replay = await syncTypes(conn, session, from, opts);
    expect(replay.signals.map((s) => s.id)).toEqual(r.signals.map((s) => s.id));
  });

  it('cannotCalculateChanges: a silent re-baseline, then new changes are announced again', async () => {
    fx = await startJmapFixture({ calendars: true });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    fx.pim.addEvent({ title: 'missed while the history was lost' });
    fx.forgetHistory();
    const r = await round(conn, session, stored);
    expect(r.signals).toEqual([]);
    expect(stored.v!.types.calendars!.state).toBe(fx.pim.states().CalendarEvent);
    const next = fx.pim.addEvent({ title: 'after' });
    const r2 = await round(conn, session, stored);
    expect(r2.signals.flatMap((s) => s.added.map((i) => i.id))).toEqual([next]);
  });

  it('follows calendars: a rename shows in the next signal, a new calendar by its name', async () => {
    fx = await startJmapFixture({ calendars: true });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    fx.pim.renameContainer('Calendar', 'cal-personal', 'Home');
    const holidays = fx.pim.createContainer('Calendar', 'Holidays');
    fx.pim.addEvent({ calendar: 'cal-personal', title: 'a' });
    fx.pim.addEvent({ calendar: holidays, title: 'b' });
    const r = await round(conn, session, stored);
    expect(r.signals.map((s) => s.folder)).toEqual([
      { id: 'cal-personal', name: 'Home' },
      { id: holidays, name: 'Holidays' },
    ]);
    expect(stored.v!.types.calendars!.containerState).toBe(fx.pim.states().Calendar);
  });

  it('drops the state of a type the session no longer offers (a later offer starts silent)', async () => {
    fx = await startJmapFixture({ calendars: true });
    const { conn, session } = await connect(fx);
    const stored: { v?: TypeStates } = {};
    await round(conn, session, stored);
    const without = { ...session, capabilities: session.capabilities!.filter((c) => c !== CAP_CALENDARS) };
    const r = await syncTypes(conn, without, stored.v, opts);
    expect(r.states.types).toEqual({});
    expect(r.signals).toEqual([]);
  });
});

describe('syncTypes over a fake connection', () => {
  const session = parseSession(
    {
      capabilities: {
        'urn:ietf:params:jmap:core': {},
        'urn:ietf:params:jmap:mail': {},
        [CAP_CYRUS_CALENDARS]: {},
        [CAP_CYRUS_CONTACTS]: {},
      },
      accounts: {
        alice: {
          name: 'alice',
          accountCapabilities: {
            'urn:ietf:params:jmap:mail': {},
            [CAP_CYRUS_CALENDARS]: {},
            [CAP_CYRUS_CONTACTS]: {},
          },
        },
      },
      primaryAccounts: { 'urn:ietf:params:jmap:mail': 'alice' },
      apiUrl: '/jmap/',
      state: '0',
    },
    new URL('http://127.0.0.1/jmap/'),
  );

  it("keeps a refused type's state and reports it, and still syncs the other (Cyrus 3.6 shapes)", async () => {
    const sent: { name: string; args: Record<string, unknown>; using?: readonly string[] }[] = [];
    const conn: JmapConn = {
      accountId: 'alice',
      maxObjectsInGet: 100,
      call: (async (calls: MethodCall<unknown>[]) => {
        sent.push(...calls);
        if (calls[0]!.name.startsWith('CalendarEvent/'))
          throw new JmapError('JMAP_ERR_METHOD', 'CalendarEvent/changes failed: unknownMethod', {
            request: 'CalendarEvent/changes',
            type: 'unknownMethod',
          });
        if (calls[0]!.name === 'Contact/changes')
          return [
            calls[0]!.parse({
              accountId: 'alice',
              oldState: '5',
              newState: '6',
              hasMoreChanges: false,
              created: ['c1'],
              updated: [],
              destroyed: [],
            }),
            calls[1]!.parse({
              state: '6',
              list: [
                { id: 'c1', addressbookId: 'Default', firstName: 'Ada', lastName: 'Lovelace', emails: [] },
              ],
              notFound: [],
            }),
            calls[2]!.parse({ state: '6', list: [], notFound: [] }),
          ];
        throw new Error(`unexpected ${calls[0]!.name}`);
      }) as JmapConn['call'],
    };
    const cal = {
      state: '5',
      containerState: '5',
      containers: { Default: 'personal' },
      items: [],
      syncedAt: 0,
    };
    const stored: TypeStates = {
      v: 1,
      types: {
        'cyrus-calendars': cal,
        'cyrus-contacts': { state: '5', containers: {}, items: [], syncedAt: 0 },
      },
    };
    const r = await syncTypes(conn, session, stored, opts);
    expect(r.problems).toEqual([
      {
        type: 'CalendarEvent',
        code: 'JMAP_ERR_METHOD',
        message: 'CalendarEvent/changes failed: unknownMethod',
      },
    ]);
    expect(r.states.types['cyrus-calendars']).toBe(cal);
    expect(r.signals).toHaveLength(1);
    // Cyrus has no AddressBook type: the address book is named by its id.
    expect(r.signals[0]).toMatchObject({
      collection: 'contacts',
      folder: { id: 'Default', name: 'Default' },
      added: [{ id: 'c1', title: 'Ada Lovelace' }],
    });
    expect(r.states.types['cyrus-contacts']).toMatchObject({ state: '6', items: [['c1', 'Default']] });
    // Cyrus answers invalidArguments for a property it lacks: its own list, and its capability in `using`.
    const get = sent.find((c) => c.name === 'Contact/get')!;
    expect(get.args.properties).toEqual([
      'id',
      'addressbookId',
      'firstName',
      'lastName',
      'company',
      'emails',
    ]);
    expect(get.using).toEqual([CAP_CYRUS_CONTACTS]);
    expect(sent.find((c) => c.name === 'CalendarEvent/changes')!.using).toEqual([CAP_CYRUS_CALENDARS]);
  });

  it("an answer of one type we cannot read is that type's problem; a network fault is the round's", async () => {
    const fail = (err: Error): JmapConn => ({
      accountId: 'alice',
      maxObjectsInGet: 100,
      call: (async () => {
        throw err;
      }) as JmapConn['call'],
    });
    const cal = { state: '5', containerState: '5', containers: {}, items: [], syncedAt: 0 };
    const stored: TypeStates = { v: 1, types: { 'cyrus-calendars': cal } };
    const onlyCal = {
      ...session,
      capabilities: [CAP_CYRUS_CALENDARS],
      accountCapabilities: [CAP_CYRUS_CALENDARS],
    };
    const bad = new JmapError('JMAP_ERR_PROTOCOL', 'CalendarEvent/changes: "newState" is not a string');
    const r = await syncTypes(fail(bad), onlyCal, stored, opts);
    expect(r.problems.map((p) => p.code)).toEqual(['JMAP_ERR_PROTOCOL']);
    expect(r.states).toBe(stored);
    const down = new JmapError('JMAP_ERR_NETWORK', 'connection reset');
    await expect(syncTypes(fail(down), onlyCal, stored, opts)).rejects.toBe(down);
  });

  it(`keeps at most ${ITEM_CAP} item → container pairs, the newest`, async () => {
    const n = ITEM_CAP + 3;
    const created = Array.from({ length: n }, (_, i) => `c${i}`);
    const conn: JmapConn = {
      accountId: 'alice',
      maxObjectsInGet: 100_000,
      call: (async (calls: MethodCall<unknown>[]) => {
        if (calls[0]!.name !== 'Contact/changes') throw new Error('unexpected');
        const page = {
          accountId: 'alice',
          oldState: '1',
          newState: '2',
          hasMoreChanges: false,
          destroyed: [],
        };
        return [
          calls[0]!.parse({ ...page, created, updated: [] }),
          calls[1]!.parse({
            state: '2',
            list: created.map((id) => ({ id, addressbookId: 'Default' })),
            notFound: [],
          }),
          calls[2]!.parse({ state: '2', list: [], notFound: [] }),
        ];
      }) as JmapConn['call'],
    };
    const noCal = {
      ...session,
      capabilities: [CAP_CYRUS_CONTACTS],
      accountCapabilities: [CAP_CYRUS_CONTACTS],
    };
    const stored: TypeStates = {
      v: 1,
      types: { 'cyrus-contacts': { state: '1', containers: {}, items: [], syncedAt: 0 } },
    };
    const r = await syncTypes(conn, noCal, stored, opts);
    const items = r.states.types['cyrus-contacts']!.items;
    expect(items).toHaveLength(ITEM_CAP);
    expect(items.at(-1)).toEqual([`c${n - 1}`, 'Default']);
    expect(items[0]).toEqual(['c3', 'Default']);
  });
});

describe('typesBehind (a StateChange worth a round)', () => {
  const session = {
    capabilities: [CAP_CALENDARS],
    accountCapabilities: [CAP_CALENDARS],
    accountId: 'A1',
  } as unknown as JmapSession;
  const stored: TypeStates = {
    v: 1,
    types: { calendars: { state: '4', containerState: '2', containers: {}, items: [], syncedAt: 0 } },
  };
  it.each([
    [{ CalendarEvent: '4', Calendar: '2' }, false],
    [{ Email: '9' }, false],
    [{ CalendarEvent: '5' }, true],
    [{ Calendar: '3' }, true],
    [{ ContactCard: '7' }, false],
  ])('%j → %s', (pushed, behind) => {
    expect(typesBehind(session, stored, pushed)).toBe(behind);
  });
  it('anything of a watched type is news before the first sync', () => {
    expect(typesBehind(session, undefined, { CalendarEvent: '1' })).toBe(true);
  });
});
