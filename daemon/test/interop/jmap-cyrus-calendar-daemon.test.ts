/**
 * The shipped daemon against Cyrus 3.6's JMAP calendars and contacts (scripts/cyrus.sh with
 * jmap_nonstandard_extensions): a `kind: jmap` account, the bundle as a process, signals from
 * `tidings watch --json`. Cyrus has no push, so the account checks on its 15 s interval; an event
 * created by another client gives exactly one calendar signal, a contact one contacts signal,
 * and a restart repeats neither.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CYRUS_URL, CYRUS_USERS, ensureCyrus, releaseCyrus } from './support/cyrus';
import { DaemonHome, waitFor } from './support/daemon-process';

const server = await ensureCyrus();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`jmap-cyrus-calendar-daemon: skipped — ${unavailable}`);

const SIGNAL_WITHIN_MS = 60_000;
const QUIET_MS = 20_000;
const ID = 'cyrus-pim';
const PASSWORD = CYRUS_USERS.get('alice') ?? '';

async function other(calls: [string, Record<string, unknown>][]): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${CYRUS_URL}/jmap/`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      using: [
        'urn:ietf:params:jmap:core',
        'https://cyrusimap.org/ns/jmap/calendars',
        'https://cyrusimap.org/ns/jmap/contacts',
      ],
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

describe.skipIf(unavailable !== undefined && !inCi)(
  'the shipped daemon: Cyrus calendars and contacts (JMAP)',
  () => {
    const tag = randomUUID().slice(0, 8);
    let home: DaemonHome;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const signals = () => home.signals.map((s) => s.signal).filter((s) => s.accountId === ID);

    beforeAll(async () => {
      if (unavailable) throw new Error(`CI=true and ${unavailable}`);
      await other([
        [
          'CalendarEvent/set',
          {
            create: { k: { calendarId: 'Default', title: `Was there ${tag}`, start: '2026-12-01T10:00:00' } },
          },
        ],
      ]);
      home = new DaemonHome({
        name: 'cyrus-pim',
        config: {
          accounts: [
            {
              id: ID,
              kind: 'jmap',
              url: CYRUS_URL,
              username: 'alice',
              secret: { env: 'TIDINGS_INTEROP_CYRUS_ALICE' },
              interval: 15,
            },
          ],
        },
        secrets: { TIDINGS_INTEROP_CYRUS_ALICE: PASSWORD },
      });
      await home.startDaemon();
      await home.accountState(ID, 'waiting');
    }, 180_000);

    afterAll(async () => {
      await home?.close();
      await releaseCyrus(server);
    });

    it('CalendarEvent/set: exactly one calendar signal with title, start and location; nothing that was there', async () => {
      const title = `Interop lunch ${tag}`;
      const [set] = await other([
        [
          'CalendarEvent/set',
          {
            create: {
              k: {
                calendarId: 'Default',
                title,
                start: '2026-12-08T12:00:00',
                duration: 'PT1H',
                timeZone: 'Europe/Berlin',
                locations: { l: { name: 'Cafe' } },
              },
            },
          },
        ],
      ]);
      const id = (set!.created as Record<string, { id: string }>).k!.id;
      await waitFor('the event announced', SIGNAL_WITHIN_MS, () =>
        signals().some((s) => s.added.some((i) => i.id === id)) ? true : undefined,
      );
      await sleep(QUIET_MS);
      const mine = signals().filter((s) => s.added.some((i) => i.id === id));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        source: 'jmap',
        collection: 'calendar',
        folder: { id: 'Default' },
        added: [
          {
            id,
            title,
            start: '2026-12-08T11:00:00Z',
            end: '2026-12-08T12:00:00Z',
            location: 'Cafe',
            kind: 'new',
          },
        ],
      });
      expect(signals().flatMap((s) => s.added.map((i) => i.title))).not.toContain(`Was there ${tag}`);
    });

    it('Contact/set: one contacts signal; a restart repeats nothing', async () => {
      const [set] = await other([['Contact/set', { create: { c: { firstName: 'Ada', lastName: tag } } }]]);
      const id = (set!.created as Record<string, { id: string }>).c!.id;
      await waitFor('the contact announced', SIGNAL_WITHIN_MS, () =>
        signals().some((s) => s.added.some((i) => i.id === id)) ? true : undefined,
      );
      await home.stopDaemon();
      await home.startDaemon();
      await home.accountState(ID, 'waiting');
      await sleep(QUIET_MS);
      const mine = signals().filter((s) => s.added.some((i) => i.id === id));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ collection: 'contacts', added: [{ id, title: `Ada ${tag}` }] });
    });
  },
);
