/**
 * The shipped daemon against a real Radicale (Debian package, scripts/radicale.sh), the way users
 * run it (issue 13 §1): the bundle as a process with its own XDG directories, a caldav and a
 * carddav account in its config file, passwords from environment variables, signals read from a
 * `tidings watch --json` process. An event and a contact PUT behind the daemon's back each give
 * exactly one signal, also across a clean restart and a kill -9.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/signal';
import { vcard, vevent } from '../dav/support';
import { type DaemonHome, type SeenSignal, waitFor } from './support/daemon-process';
import { startDavDaemon } from './support/dav-daemon';
import { serverGate } from './support/gate';
import {
  RADICALE_URL,
  RADICALE_USERS,
  RadicaleClient,
  radicaleForUser,
  releaseRadicale,
} from './support/radicale';

// carol is this suite's own user (scripts/radicale/users): no other suite clears her home.
const USER = 'carol';
const { server, unavailable } = await radicaleForUser(USER);
const gate = serverGate('radicale-daemon', unavailable);

/** A poll every 15–30 s (the fairness floor of the schema); a change shows within one interval. */
const SIGNAL_WITHIN_MS = 60_000;
/** Long enough for one more poll: a duplicate would have come. */
const QUIET_MS = 35_000;

describe.skipIf(gate.skip)('the shipped daemon against Radicale (CalDAV, CardDAV)', () => {
  const tag = randomUUID().slice(0, 8);
  const dav = new RadicaleClient(USER);
  const cal = `/${USER}/work-${tag}/`;
  const book = `/${USER}/people-${tag}/`;
  let home: DaemonHome;

  const since = (t0: number, collection?: Collection): SeenSignal[] =>
    home.signals.filter(
      (s) => s.at >= t0 && (collection === undefined || s.signal.collection === collection),
    );
  const addedTitles = () => home.signals.flatMap((s) => s.signal.added.map((i) => i.title));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const event = (uid: string, summary: string) =>
    vevent({ uid, summary, start: '20261203T140000Z', end: '20261203T150000Z', location: 'Room 4' });
  const announced = (title: string) =>
    waitFor(`"${title}" announced`, SIGNAL_WITHIN_MS, () =>
      addedTitles().includes(title) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(addedTitles())}\n${home.logTail()}`);
    });

  beforeAll(async () => {
    gate.require();
    await dav.clearHome();
    await dav.mkcalendar(cal, 'Work');
    await dav.mkaddressbook(book, 'People');
    await dav.put(`${cal}old.ics`, event('old', 'Already there'), 'text/calendar');
    await dav.put(`${book}old.vcf`, vcard('old', 'Old Friend'), 'text/vcard');
    home = await startDavDaemon({
      name: 'radicale',
      cal: 'radicale-caldav',
      card: 'radicale-carddav',
      url: `${RADICALE_URL}/`,
      username: USER,
      password: RADICALE_USERS.get(USER) ?? '',
      passwordEnv: 'TIDINGS_INTEROP_RADICALE_PASSWORD',
      interval: { min: 15, max: 30 },
    });
  }, 180_000);

  afterAll(async () => {
    await home?.close();
    await dav.clearHome().catch(() => {});
    await releaseRadicale(server);
  });

  it('finds the calendar and the address book from the server root and announces nothing that was there', async () => {
    const status = await home.status();
    const folders = status.accounts.flatMap((a) => a.status.folders ?? []);
    expect(folders.map((f) => f.id).sort()).toEqual([book, cal].sort());
    await sleep(QUIET_MS);
    expect(home.signals).toEqual([]);
    // account test through the running daemon: its dispatcher, its view of the server.
    for (const id of ['radicale-caldav', 'radicale-carddav']) {
      const r = await home.run(['account', 'test', id, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { ok: boolean }).ok).toBe(true);
    }
  });

  it('an event PUT over CalDAV and a contact PUT over CardDAV each give exactly one signal', async () => {
    const t0 = Date.now();
    await dav.put(`${cal}review.ics`, event(`review-${tag}`, `Design review ${tag}`), 'text/calendar');
    await dav.put(`${book}grace.vcf`, vcard(`grace-${tag}`, `Grace Hopper${tag}`), 'text/vcard');
    await announced(`Design review ${tag}`);
    await announced(`Grace Hopper${tag}`);
    await sleep(QUIET_MS);

    const calendar = since(t0, 'calendar');
    expect(calendar).toHaveLength(1);
    expect(calendar[0]!.signal).toMatchObject({ accountId: 'radicale-caldav', source: 'caldav' });
    expect(calendar[0]!.signal.added).toHaveLength(1);
    expect(calendar[0]!.signal.added[0]).toMatchObject({
      title: `Design review ${tag}`,
      location: 'Room 4',
    });
    const contacts = since(t0, 'contacts');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]!.signal.added.map((i) => i.title)).toEqual([`Grace Hopper${tag}`]);
    expect(since(t0)).toHaveLength(2);
  }, 180_000);

  it('a change made while the daemon is stopped is announced once after restart, nothing earlier again', async () => {
    const before = home.signals.length;
    const ids = new Set(home.signals.map((s) => s.signal.id));
    expect(await home.stopDaemon()).toBe(0);
    await dav.put(`${cal}away.ics`, event(`away-${tag}`, `Written while away ${tag}`), 'text/calendar');
    await home.startDaemon();
    await announced(`Written while away ${tag}`);
    await sleep(QUIET_MS);

    const after = home.signals.slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]!.signal.added.map((i) => i.title)).toEqual([`Written while away ${tag}`]);
    expect(ids.has(after[0]!.signal.id)).toBe(false);
  }, 180_000);

  it('kill -9 between changes: every change announced exactly once, nothing lost or repeated', async () => {
    const titles = [1, 2].map((n) => `Through a kill ${n} ${tag}`);
    await dav.put(`${cal}kill1.ics`, event(`kill1-${tag}`, titles[0]!), 'text/calendar');
    await announced(titles[0]!);
    await dav.put(`${cal}kill2.ics`, event(`kill2-${tag}`, titles[1]!), 'text/calendar');
    await home.killDaemon();
    await dav.put(`${book}ada.vcf`, vcard(`ada-${tag}`, `Ada Lovelace${tag}`), 'text/vcard');
    await home.startDaemon();
    await announced(titles[1]!);
    await announced(`Ada Lovelace${tag}`);
    await sleep(QUIET_MS);

    for (const t of [...titles, `Ada Lovelace${tag}`])
      expect(addedTitles().filter((x) => x === t)).toEqual([t]);
    const ids = home.signals.map((s) => s.signal.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 240_000);
});
