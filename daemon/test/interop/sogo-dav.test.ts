/**
 * The CalDAV/CardDAV watcher against SOGo's own DAV server (scripts/sogo.sh): the same SOGo the
 * EAS suite uses, reached as `/SOGo/dav/<user>/Calendar/` and `/SOGo/dav/<user>/Contacts/`.
 * Each create, change and delete of an event and of a contact, made by another client, must give
 * exactly one signal of the right kind on the next check.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { davAccountSchema } from '../../src/config/account';
import { DispatcherPool } from '../../src/setup/dispatchers';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import {
  calendarUrl,
  contactsUrl,
  contactVcf,
  davDelete,
  davPut,
  eventIcs,
  SOGO,
  type SogoUser,
  sogoUnreachableReason,
  user,
} from './support/sogo';
import { serverGate } from './support/gate';

const unreachable = await sogoUnreachableReason();
const gate = serverGate('sogo-dav', unreachable);

interface Run {
  watcher: DavWatcher;
  signals: ChangeSignal[];
  stop(): Promise<void>;
}

async function startWatcher(u: SogoUser, kind: 'caldav' | 'carddav'): Promise<Run> {
  const home = kind === 'caldav' ? 'Calendar' : 'Contacts';
  const acct = davAccountSchema().parse({
    id: `sogo-${kind}-${u.uid}`,
    kind,
    url: `${SOGO.davRoot}/${u.uid}/${home}/`,
    username: u.uid,
    secret: { env: 'TIDINGS_TEST_UNUSED' },
  });
  const signals: ChangeSignal[] = [];
  // The daemon's own dispatcher for the account (setup/dispatchers.ts), not one of the test's.
  const pool = new DispatcherPool();
  const dispatcher = pool.for(acct);
  const watcher = createDavWatcher(
    acct,
    {
      accountId: acct.id,
      store: new MemoryStore(),
      log: pino({ level: process.env.TIDINGS_INTEROP_LOG ?? 'silent' }),
      secret: { get: async () => u.password },
      publish: (s) => signals.push(...s),
      setStatus: () => undefined,
    },
    { dispatcher, timeZone: 'UTC' },
  );
  watcher.start();
  // The first check is the baseline: the primed event/contact must announce nothing.
  await watcher.checkNow();
  const s = watcher.status();
  if (s.state !== 'waiting')
    throw new Error(`${kind} watcher is ${s.state}: ${s.lastError?.message ?? s.detail}`);
  return {
    watcher,
    signals,
    stop: async () => {
      await watcher.stop();
      await pool.close();
    },
  };
}

/**
 * SOGo's sync-token and getctag are whole seconds (docs/interop.md). The watcher copes with two
 * changes in one second (second-token.ts, and the test for it below); the other tests start each
 * change in a fresh second so that every change is the news of its own check.
 */
async function nextSecond(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 50));
}

/** Runs one check and returns the signals it produced. */
async function check(run: Run): Promise<ChangeSignal[]> {
  const before = run.signals.length;
  await run.watcher.checkNow();
  return run.signals.slice(before);
}

describe.skipIf(gate.skip)('DAV watcher against SOGo (real server)', () => {
  const alice = user('alice');
  const tag = randomUUID().slice(0, 8);
  let cal: Run;
  let card: Run;

  beforeAll(async () => {
    gate.require();
    cal = await startWatcher(alice, 'caldav');
    card = await startWatcher(alice, 'carddav');
  });

  afterAll(async () => {
    await cal?.stop();
    await card?.stop();
  });

  it('sets a baseline: what is already on the server announces nothing', async () => {
    expect(cal.signals).toEqual([]);
    expect(card.signals).toEqual([]);
    expect(await check(cal)).toEqual([]);
    expect(await check(card)).toEqual([]);
  });

  it('an event created, changed and deleted gives one signal each, of the right kind', async () => {
    const href = `${calendarUrl(alice)}tidings-dav-${tag}.ics`;
    const path = new URL(href).pathname;
    const start = new Date(Date.UTC(2026, 11, 10, 9, 30));
    const end = new Date(+start + 1800e3);
    const uid = `dav-ev-${tag}`;

    await nextSecond();
    await davPut(
      alice,
      href,
      eventIcs({ uid, summary: `Stand-up ${tag}`, start, end, location: 'Hall' }),
      'text/calendar',
    );
    const created = await check(cal);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ source: 'caldav', collection: 'calendar', changed: [], removed: [] });
    expect(created[0]!.folder.id).toBe(new URL(calendarUrl(alice)).pathname);
    expect(created[0]!.added).toHaveLength(1);
    expect(created[0]!.added[0]).toMatchObject({ id: path, title: `Stand-up ${tag}`, location: 'Hall' });
    expect(Date.parse(created[0]!.added[0]!.start ?? '')).toBe(+start);

    await nextSecond();
    await davPut(
      alice,
      href,
      eventIcs({
        uid,
        summary: `Stand-up moved ${tag}`,
        start: new Date(+start + 3600e3),
        end: new Date(+end + 3600e3),
        sequence: 1,
      }),
      'text/calendar',
    );
    const changed = await check(cal);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ added: [], removed: [] });
    expect(changed[0]!.changed).toHaveLength(1);
    expect(changed[0]!.changed[0]).toMatchObject({ id: path, title: `Stand-up moved ${tag}` });

    await nextSecond();
    await davDelete(alice, href);
    const removed = await check(cal);
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ added: [], changed: [] });
    expect(removed[0]!.removed.map((i) => i.id)).toEqual([path]);

    expect(await check(cal)).toEqual([]);
    expect(card.signals).toEqual([]);
  });

  it('two events PUT within one second, with a check between, are each announced exactly once', async () => {
    // SOGo's tokens are whole seconds (second-token.ts); the watcher must neither lose the second
    // PUT nor announce the first one again when the next report repeats it.
    const start = new Date(Date.UTC(2026, 11, 11, 8, 0));
    const end = new Date(+start + 1800e3);
    let hrefs: string[] = [];
    let before = cal.signals.length;
    for (let attempt = 0; attempt < 5; attempt++) {
      hrefs = ['a', 'b'].map((n) => `${calendarUrl(alice)}tidings-sec-${tag}-${attempt}${n}.ics`);
      await nextSecond();
      before = cal.signals.length;
      const second = Math.floor(Date.now() / 1000);
      await davPut(
        alice,
        hrefs[0]!,
        eventIcs({ uid: `sec-${tag}-${attempt}a`, summary: 'A', start, end }),
        'text/calendar',
      );
      await cal.watcher.checkNow();
      // The check between the PUTs saw A (so its token was taken inside A's second).
      expect(cal.signals.slice(before).flatMap((x) => x.added.map((item) => item.title))).toEqual(['A']);
      await davPut(
        alice,
        hrefs[1]!,
        eventIcs({ uid: `sec-${tag}-${attempt}b`, summary: 'B', start, end }),
        'text/calendar',
      );
      if (Math.floor(Date.now() / 1000) === second) break;
      // The second ticked between the PUTs: clean up and try again in a fresh second.
      await cal.watcher.checkNow();
      for (const h of hrefs) await davDelete(alice, h);
      await nextSecond();
      await cal.watcher.checkNow();
      hrefs = [];
    }
    expect(hrefs).toHaveLength(2);
    await cal.watcher.checkNow();
    await nextSecond();
    await cal.watcher.checkNow();
    await cal.watcher.checkNow();
    const paths = hrefs.map((h) => new URL(h).pathname);
    const announced = cal.signals.slice(before).flatMap((s) => s.added.filter((i) => paths.includes(i.id)));
    expect(announced.map((i) => [i.id, i.title, i.kind]).sort()).toEqual([
      [paths[0], 'A', 'new'],
      [paths[1], 'B', 'new'],
    ]);
    expect(cal.signals.slice(before).flatMap((s) => [...s.changed, ...s.removed])).toEqual([]);
    for (const h of hrefs) await davDelete(alice, h);
    await nextSecond();
    const gone = await check(cal);
    expect(gone.flatMap((s) => s.removed.map((i) => i.id)).sort()).toEqual(paths);
  });

  it('an invitation from bob (SOGo implicit scheduling) is an invitation, his revision an update, his delete a cancellation', async () => {
    // SOGo delivers an organizer's PUT into each attendee's calendar (RFC 6638 implicit
    // scheduling) and removes the copies when the organizer deletes the event.
    const bob = user('bob');
    const href = `${calendarUrl(bob)}tidings-inv-${tag}.ics`;
    const path = `${new URL(calendarUrl(alice)).pathname}tidings-inv-${tag}.ics`;
    const start = new Date(Date.UTC(2026, 11, 14, 15, 0));
    const end = new Date(+start + 3600e3);
    const meeting = (summary: string, sequence: number) =>
      eventIcs({ uid: `inv-${tag}`, summary, start, end, sequence, organizer: bob, invite: [alice] });
    const from = `${bob.name} <${bob.email}>`;

    await nextSecond();
    await davPut(bob, href, meeting(`Review ${tag}`, 0), 'text/calendar');
    const invited = await check(cal);
    expect(invited.flatMap((s) => s.added)).toEqual([
      expect.objectContaining({ id: path, title: `Review ${tag}`, from, kind: 'invitation' }),
    ]);

    await nextSecond();
    await davPut(bob, href, meeting(`Review (agenda) ${tag}`, 1), 'text/calendar');
    const revised = await check(cal);
    expect(revised.flatMap((s) => [...s.added, ...s.removed])).toEqual([]);
    expect(revised.flatMap((s) => s.changed)).toEqual([
      expect.objectContaining({ id: path, title: `Review (agenda) ${tag}`, kind: 'updated' }),
    ]);

    await nextSecond();
    await davDelete(bob, href);
    const cancelled = await check(cal);
    expect(cancelled.flatMap((s) => [...s.changed, ...s.removed])).toEqual([
      expect.objectContaining({ id: path, kind: 'cancelled' }),
    ]);
    expect(await check(cal)).toEqual([]);
  });

  it('a contact created, changed and deleted gives one signal each, with its name', async () => {
    const href = `${contactsUrl(alice)}tidings-dav-${tag}.vcf`;
    const path = new URL(href).pathname;
    const uid = `dav-ct-${tag}`;

    await nextSecond();
    await davPut(alice, href, contactVcf({ uid, given: 'Ada', family: `Lovelace${tag}` }), 'text/vcard');
    const created = await check(card);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ source: 'carddav', collection: 'contacts', changed: [], removed: [] });
    expect(created[0]!.added).toEqual([expect.objectContaining({ id: path, title: `Ada Lovelace${tag}` })]);

    await nextSecond();
    await davPut(
      alice,
      href,
      contactVcf({ uid, given: 'Ada', family: `King${tag}`, email: 'ada@example.org' }),
      'text/vcard',
    );
    const changed = await check(card);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ added: [], removed: [] });
    expect(changed[0]!.changed).toEqual([expect.objectContaining({ id: path, title: `Ada King${tag}` })]);

    await nextSecond();
    await davDelete(alice, href);
    const removed = await check(card);
    expect(removed).toHaveLength(1);
    expect(removed[0]!.removed.map((i) => i.id)).toEqual([path]);

    expect(await check(card)).toEqual([]);
  });
});
