/**
 * The calendar and contacts sync core (daemon/src/jmap/type-sync.ts) against a real Cyrus 3.6
 * (scripts/cyrus.sh, with caldav, carddav and jmap_nonstandard_extensions): its session offers
 * only Cyrus's own https://cyrusimap.org/ns/jmap/{calendars,contacts} — CalendarEvent with one
 * `calendarId`, Contact with firstName/lastName and one `addressbookId`, no AddressBook type —
 * and refuses any property it does not know, so this checks the property lists and shapes on
 * the real thing: a silent baseline, CalendarEvent/set → exactly one calendar signal with title,
 * start and location, Contact/set → one contacts signal, a destroy → removed, and the daemon's
 * own requests through its transport and session. The watcher runs this core beside the mail
 * round; the daemon-level check (the bundle as a process) belongs in jmap-cyrus.test.ts once the
 * watcher calls syncTypes.
 */
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../../src/jmap/auth';
import { sessionConn } from '../../src/jmap/connection';
import { CAP_CYRUS_CALENDARS, CAP_CYRUS_CONTACTS, sessionTypes } from '../../src/jmap/data-types';
import type { JmapConn } from '../../src/jmap/mail-sync';
import { fetchSession, type JmapSession } from '../../src/jmap/session';
import { createTransport } from '../../src/jmap/transport';
import { syncTypes, type TypeStates } from '../../src/jmap/type-sync';
import { CYRUS_URL, CYRUS_USERS, ensureCyrus, releaseCyrus } from './support/cyrus';

const server = await ensureCyrus();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`jmap-cyrus-pim: skipped — ${unavailable}`);

const PASSWORD = CYRUS_USERS.get('alice') ?? '';

/** Cyrus's JMAP as another client (a calendar app) uses it, behind the daemon's back. */
async function other(calls: [string, Record<string, unknown>][]): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${CYRUS_URL}/jmap/`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      using: ['urn:ietf:params:jmap:core', CAP_CYRUS_CALENDARS, CAP_CYRUS_CONTACTS],
      methodCalls: calls.map(([n, a], i) => [n, { accountId: 'alice', ...a }, String(i)]),
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { methodResponses: [string, Record<string, unknown>, string][] };
  return body.methodResponses.map(([name, args]) => {
    if (name === 'error') throw new Error(`JMAP error ${JSON.stringify(args)}`);
    return args;
  });
}

describe.skipIf(unavailable !== undefined && !inCi)('calendars and contacts against Cyrus 3.6 (JMAP)', () => {
  const dispatcher = new Agent({ connections: 2 });
  const opts = { accountId: 'cyrus-jmap', self: ['alice@127.0.0.1'], now: () => Date.now() };
  let conn: JmapConn;
  let session: JmapSession;
  let stored: TypeStates | undefined;
  const round = async () => {
    const r = await syncTypes(conn, session, stored, opts);
    expect(r.problems).toEqual([]);
    stored = r.states;
    return r.signals;
  };

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    const http = createTransport({ dispatcher, auth: basicAuth('alice', { get: async () => PASSWORD }) });
    session = await fetchSession(http, CYRUS_URL);
    conn = sessionConn(http, session, () => undefined);
  });

  afterAll(async () => {
    await dispatcher.close();
    await releaseCyrus(server);
  });

  it("finds Cyrus's own calendar and contacts namespaces in the session", () => {
    expect(sessionTypes(session).map((s) => s.key)).toEqual(['cyrus-calendars', 'cyrus-contacts']);
  });

  it('a silent baseline, then CalendarEvent/set → exactly one calendar signal with its content', async () => {
    expect(await round()).toEqual([]);
    const cal = stored!.types['cyrus-calendars']!;
    expect(Object.keys(cal.containers).length).toBeGreaterThan(0);
    const calendarId = Object.keys(cal.containers)[0]!;
    expect(await round()).toEqual([]);
    const [set] = await other([
      [
        'CalendarEvent/set',
        {
          create: {
            k: {
              calendarId,
              title: 'Interop lunch',
              start: '2026-12-08T12:00:00',
              duration: 'PT1H',
              timeZone: 'Europe/Berlin',
              locations: { l1: { name: 'Cafe' } },
            },
          },
        },
      ],
    ]);
    const id = (set!.created as Record<string, { id: string }>).k!.id;
    const signals = await round();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      source: 'jmap',
      collection: 'calendar',
      folder: { id: calendarId, name: cal.containers[calendarId] },
      added: [
        {
          id,
          title: 'Interop lunch',
          start: '2026-12-08T11:00:00Z',
          end: '2026-12-08T12:00:00Z',
          location: 'Cafe',
          kind: 'new',
        },
      ],
      changed: [],
      removed: [],
    });
    // Nothing more on the next round: one signal per change.
    expect(await round()).toEqual([]);

    await other([['CalendarEvent/set', { update: { [id]: { title: 'Interop lunch (late)' } } }]]);
    const changed = await round();
    expect(changed.flatMap((s) => s.changed)).toMatchObject([
      { id, title: 'Interop lunch (late)', kind: 'updated' },
    ]);

    await other([['CalendarEvent/set', { destroy: [id] }]]);
    const removed = await round();
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ folder: { id: calendarId }, removed: [{ id, kind: 'cancelled' }] });
  });

  it('Contact/set → one contacts signal by name, in the address book Cyrus names by id', async () => {
    await round();
    const [set] = await other([
      [
        'Contact/set',
        {
          create: {
            c: {
              firstName: 'Ada',
              lastName: 'Lovelace',
              emails: [{ type: 'personal', value: 'ada@example.org' }],
            },
          },
        },
      ],
    ]);
    const created = (set!.created as Record<string, { id: string; addressbookId: string }>).c!;
    const signals = await round();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      collection: 'contacts',
      folder: { id: created.addressbookId, name: created.addressbookId },
      added: [{ id: created.id, title: 'Ada Lovelace' }],
    });
    await other([['Contact/set', { destroy: [created.id] }]]);
    const removed = await round();
    expect(removed[0]).toMatchObject({ removed: [{ id: created.id }] });
  });
});
