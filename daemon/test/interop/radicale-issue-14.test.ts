/**
 * Issue 14 on a real Radicale (Debian package, scripts/radicale.sh) through the shipped daemon:
 * the bundle as a process (DaemonHome) with a caldav and a carddav account for the same user,
 * signals read from `tidings watch --json`. Radicale keeps calendars and address books under one
 * principal home (both home sets are /<user>/), so this fails without the kind filter in
 * select.ts.
 *
 * The accounts poll once an hour (`interval.min: 3600`): after the start-up check, every signal
 * here comes from a `tidings check` the test runs, so the tests are exact without waiting for a
 * poll, and a signal seen after a check *is* that check's (case d). "Nothing else" is shown the
 * same way: a sentinel item PUT into each collection and one more check — a repeat of anything
 * earlier is published before the sentinel's signal (one folder's signals go out in order).
 *
 * dave is this file's own user (scripts/radicale/users): no other suite writes to his home.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vcard, vevent } from '../dav/support';
import { type DaemonHome, waitFor } from './support/daemon-process';
import { davChecks, has, startDavDaemon } from './support/dav-daemon';
import { serverGate } from './support/gate';
import {
  RADICALE_URL,
  RADICALE_USERS,
  RadicaleClient,
  radicaleForUser,
  releaseRadicale,
} from './support/radicale';

const USER = 'dave';
const { server, unavailable } = await radicaleForUser(USER);
const gate = serverGate('radicale-issue-14', unavailable);

/** Radicale's storage (scripts/radicale.sh: $TIDINGS_RADICALE_ROOT/collections, config `filesystem_folder`). */
const STORAGE = join(process.env.TIDINGS_RADICALE_ROOT ?? '/tmp/tidings-radicale', 'collections');
/** One check of a few small collections; generous for a loaded 2-core machine. */
const CHECK_WITHIN_MS = 30_000;

const CAL = 'dave-caldav';
const CARD = 'dave-carddav';

describe.skipIf(gate.skip)('Radicale, issue 14, through the shipped daemon', () => {
  const tag = randomUUID().slice(0, 8);
  const dav = new RadicaleClient(USER);
  const calName = `work-${tag}`;
  const bookName = `friends-${tag}`;
  const cal = `/${USER}/${calName}/`;
  const book = `/${USER}/${bookName}/`;
  let home: DaemonHome;

  const event = (uid: string, summary: string, start = '20261203T140000Z', end = '20261203T150000Z') =>
    vevent({ uid, summary, start, end });
  const { after, fail, checkFor, settle, checkAnnouncesBoth, expectReaddedAndEdited, killWhileChecking } =
    davChecks({
      home: () => home,
      cal: CAL,
      card: CARD,
      withinMs: CHECK_WITHIN_MS,
      tag,
      putSentinel: async (n, summary, name) => {
        await dav.put(`${cal}sentinel-${n}.ics`, event(`sentinel-${n}-${tag}`, summary), 'text/calendar');
        await dav.put(`${book}sentinel-${n}.vcf`, vcard(`sentinel-${n}-${tag}`, name), 'text/vcard');
        return name;
      },
    });

  beforeAll(async () => {
    gate.require();
    await dav.clearHome();
    await dav.mkcalendar(cal, 'Work');
    await dav.mkaddressbook(book, 'Friends');
    await dav.put(`${cal}old.ics`, event(`old-${tag}`, 'Already there'), 'text/calendar');
    await dav.put(`${book}old.vcf`, vcard(`old-${tag}`, 'Old Friend'), 'text/vcard');
    home = await startDavDaemon({
      name: 'radicale-14',
      cal: CAL,
      card: CARD,
      url: `${RADICALE_URL}/`,
      username: USER,
      password: RADICALE_USERS.get(USER) ?? '',
      passwordEnv: 'TIDINGS_INTEROP_RADICALE_PASSWORD',
      // Once an hour: every later signal comes from a check the test asks for.
      interval: { min: 3600 },
    });
  }, 180_000);

  afterAll(async () => {
    await home?.close();
    if (!unavailable) await dav.clearHome().catch(() => {});
    await releaseRadicale(server);
  });

  it('one home for calendars and address books: each account watches its own kind and announces each change once; tidings check announces at once', async () => {
    const status = await home.status();
    const folders = (id: string) => status.accounts.find((a) => a.id === id)?.status.folders;
    expect(folders(CAL)).toEqual([expect.objectContaining({ id: cal, collection: 'calendar' })]);
    expect(folders(CARD)).toEqual([expect.objectContaining({ id: book, collection: 'contacts' })]);
    expect(home.signals).toEqual([]);

    await dav.put(`${cal}lunch.ics`, event(`lunch-${tag}`, `Lunch ${tag}`), 'text/calendar');
    await dav.put(`${book}ann.vcf`, vcard(`ann-${tag}`, `Ann Example${tag}`), 'text/vcard');
    // (d) The accounts poll hourly and their start-up check is done: only the check can
    // announce these, and the signals come after it.
    await checkAnnouncesBoth(`Lunch ${tag}`, `Ann Example${tag}`);
  });

  it('tidings check <account> checks that account: a contact PUT is announced after the check', async () => {
    await dav.put(`${book}ben.vcf`, vcard(`ben-${tag}`, `Ben Example${tag}`), 'text/vcard');
    const n = home.signals.length;
    const t = Date.now();
    const got = await checkFor(CARD, 'the contact', has(CARD, `Ben Example${tag}`));
    expect(got.at).toBeGreaterThanOrEqual(t);
    const s = await settle();
    expect(after(n)).toEqual(
      expect.arrayContaining([
        { account: CARD, collection: 'contacts', added: [`Ben Example${tag}`], changed: [], removed: [] },
        s.cal,
        s.card,
      ]),
    );
    expect(after(n)).toHaveLength(3);
  });

  it('PUT, DELETE, PUT of the same vCard gives three signals; an event edited back and forth announces every edit', async () => {
    const n = home.signals.length;
    const bea = vcard(`bea-${tag}`, `Bea Example${tag}`, 'bea@example.org');
    const name = `Bea Example${tag}`;
    await dav.put(`${book}bea.vcf`, bea, 'text/vcard');
    await checkFor(CARD, 'Bea added', has(CARD, name));
    await dav.delete(`${book}bea.vcf`);
    await checkFor(CARD, 'Bea removed', has(CARD, name, 'removed'));
    await dav.put(`${book}bea.vcf`, bea, 'text/vcard');
    const k = home.signals.length;
    await checkFor(CARD, 'Bea added again', has(CARD, name));
    expect(home.signals.length).toBe(k + 1);

    const title = `Standup ${tag}`;
    const early = event(`standup-${tag}`, title, '20261204T090000Z', '20261204T091500Z');
    const late = event(`standup-${tag}`, title, '20261204T100000Z', '20261204T101500Z');
    await dav.put(`${cal}standup.ics`, early, 'text/calendar');
    await checkFor(CAL, 'the event added', has(CAL, title));
    for (const [i, body] of [late, early, late].entries()) {
      const m = home.signals.length;
      await dav.put(`${cal}standup.ics`, body, 'text/calendar');
      await checkFor(CAL, `edit ${i + 1}`, (s) => s.accountId === CAL && home.signals.length > m);
    }
    await expectReaddedAndEdited(n, name, title);
  });

  it('sync tokens lost on the server while the daemon is stopped, and an item deleted meanwhile: the deletion is announced once, nothing else again', async () => {
    const announced = new Set(home.signals.map((s) => s.signal.id));
    expect(await home.stopDaemon()).toBe(0);
    // Radicale 3 keeps each collection's tokens under .Radicale.cache/sync-token; without them
    // the daemon's stored token is unknown (Radicale answers 409 valid-sync-token once the
    // collection has changed), as after a restore from backup or a token purge.
    for (const name of [calName, bookName]) {
      const tokens = join(STORAGE, 'collection-root', USER, name, '.Radicale.cache', 'sync-token');
      expect(existsSync(tokens), tokens).toBe(true);
      rmSync(tokens, { recursive: true });
    }
    await dav.delete(`${book}ann.vcf`);
    await dav.delete(`${cal}lunch.ics`);
    const n = home.signals.length;
    await home.startDaemon();
    // The start-up check finds the removals (re-baseline and reconcile against stored state).
    await waitFor('both removals announced', CHECK_WITHIN_MS * 2, () =>
      after(n).filter((b) => b.removed.length > 0).length >= 2 ? true : undefined,
    ).catch(fail);
    await home.accountState(CAL, 'waiting');
    await home.accountState(CARD, 'waiting');
    const s = await settle();
    expect(after(n, CAL)).toEqual([
      { account: CAL, collection: 'calendar', added: [], changed: [], removed: [`Lunch ${tag}`] },
      s.cal,
    ]);
    expect(after(n, CARD)).toEqual([
      { account: CARD, collection: 'contacts', added: [], changed: [], removed: [`Ann Example${tag}`] },
      s.card,
    ]);
    for (const x of home.signals.slice(n)) expect(announced.has(x.signal.id)).toBe(false);
  }, 180_000);

  it('kill -9 while items are PUT and checked: every item announced exactly once, nothing lost or repeated', async () => {
    await killWhileChecking({
      events: 12,
      killAt: 7,
      startAt: 9,
      checkAfter: (i) => i % 3 === 0 && i !== 9,
      put: (i, title) => dav.put(`${cal}kill-${i}.ics`, event(`kill-${i}-${tag}`, title), 'text/calendar'),
      tag,
    });
  }, 240_000);
});
