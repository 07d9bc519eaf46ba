/**
 * Issue 14 on SOGo's CalDAV/CardDAV (SOGo 5.8, scripts/sogo.sh) through the shipped daemon: the
 * bundle as a process (DaemonHome) with a caldav and a carddav account for the same user, both
 * set up from the server's DAV root as a new user would (`account add caldav|carddav --url
 * <root>`), signals read from `tidings watch --json`. SOGo keeps calendars and address books in
 * two homes (`/SOGo/dav/<user>/Calendar/`, `/Contacts/`) and its sync tokens and ctags are whole
 * seconds, so the checks here usually fall in the second of the change they look for.
 *
 * As in radicale-issue-14.test.ts, the accounts poll hourly: after the start-up check every
 * signal comes from a `tidings check` the test runs, and "nothing else" is shown by a sentinel
 * event and contact announced after everything a check could repeat. carol belongs to the suites
 * that run the shipped daemon (scripts/sogo/users.tsv); the files run one after another.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeSignal } from '../../src/signal';
import { DaemonHome, waitFor } from './support/daemon-process';
import {
  calendarUrl,
  contactsUrl,
  contactVcf,
  davDelete,
  davPut,
  eventIcs,
  SOGO,
  sogoUnreachableReason,
  user,
} from './support/sogo';

const carol = user('carol');
const unreachable = await sogoUnreachableReason(carol);
const inCi = process.env.CI === 'true';
if (unreachable && !inCi) console.warn(`sogo-dav-daemon: skipped — ${unreachable}`);

/** One check of carol's few collections (plus the whole-second re-check); generous on 2 cores. */
const CHECK_WITHIN_MS = 30_000;
const CAL = 'sogo-caldav';
const CARD = 'sogo-carddav';

const brief = (s: ChangeSignal) => ({
  account: s.accountId,
  collection: s.collection,
  added: s.added.map((i) => i.title),
  changed: s.changed.map((i) => i.title),
  removed: s.removed.map((i) => i.title),
});

describe.skipIf(unreachable !== undefined && !inCi)(
  'SOGo CalDAV/CardDAV, issue 14, through the shipped daemon',
  () => {
    const tag = randomUUID().slice(0, 8);
    const cal = calendarUrl(carol);
    const book = contactsUrl(carol);
    const created: string[] = [];
    let home: DaemonHome;
    let sentinels = 0;

    const put = async (url: string, body: string, type: 'text/calendar' | 'text/vcard') => {
      if (!created.includes(url)) created.push(url);
      await davPut(carol, url, body, type);
    };
    const event = (uid: string, summary: string, hour = 14) => {
      const start = new Date(Date.UTC(2026, 11, 4, hour, 0));
      return eventIcs({ uid, summary, start, end: new Date(+start + 3600e3) });
    };
    const contact = (uid: string, family: string) => contactVcf({ uid, given: 'Test', family });
    const after = (n: number, account?: string) =>
      home.signals
        .slice(n)
        .map((s) => brief(s.signal))
        .filter((b) => account === undefined || b.account === account);
    const fail = (err: Error) => {
      throw new Error(
        `${err.message}; seen ${JSON.stringify(home.signals.map((s) => brief(s.signal)))}\n${home.logTail()}`,
      );
    };
    const has =
      (account: string, title: string, key: 'added' | 'changed' | 'removed' = 'added') =>
      (s: ChangeSignal) =>
        s.accountId === account && s[key].some((i) => i.title === title);
    const checkFor = async (account: string, what: string, match: (s: ChangeSignal) => boolean) => {
      const n = home.signals.length;
      await home.cli(['check', account]);
      return waitFor(what, CHECK_WITHIN_MS, () => home.signals.slice(n).find((s) => match(s.signal))).catch(
        fail,
      );
    };
    const settle = async () => {
      const n = ++sentinels;
      const ev = `Sentinel ${n} ${tag}`;
      const ct = `Sentinel${n}${tag}`;
      await put(`${cal}sentinel-${n}-${tag}.ics`, event(`sentinel-${n}-${tag}`, ev), 'text/calendar');
      await put(`${book}sentinel-${n}-${tag}.vcf`, contact(`sentinel-${n}-${tag}`, ct), 'text/vcard');
      const k = home.signals.length;
      await home.cli(['check']);
      await waitFor(`sentinel ${n} announced by both accounts`, CHECK_WITHIN_MS, () =>
        home.signals.slice(k).some((s) => has(CAL, ev)(s.signal)) &&
        home.signals.slice(k).some((s) => has(CARD, `Test ${ct}`)(s.signal))
          ? true
          : undefined,
      ).catch(fail);
      return {
        cal: { account: CAL, collection: 'calendar', added: [ev], changed: [], removed: [] },
        card: { account: CARD, collection: 'contacts', added: [`Test ${ct}`], changed: [], removed: [] },
      };
    };

    beforeAll(async () => {
      if (unreachable) throw new Error(`CI=true and ${unreachable}`);
      const account = (id: string, kind: 'caldav' | 'carddav') => ({
        id,
        kind,
        url: `${SOGO.davRoot}/`,
        username: carol.uid,
        secret: { env: 'TIDINGS_INTEROP_SOGO_PASSWORD' },
        // Once an hour: every later signal comes from a check the test asks for.
        interval: { min: 3600 },
      });
      home = new DaemonHome({
        name: 'sogo-dav',
        config: { accounts: [account(CAL, 'caldav'), account(CARD, 'carddav')] },
        secrets: { TIDINGS_INTEROP_SOGO_PASSWORD: carol.password },
      });
      await home.startDaemon();
      await home.accountState(CAL, 'waiting');
      await home.accountState(CARD, 'waiting');
    }, 180_000);

    afterAll(async () => {
      await home?.close();
      if (!unreachable) for (const url of created) await davDelete(carol, url).catch(() => 0);
    });

    it('from the DAV root, each account watches its own kind and announces each change once; tidings check announces at once', async () => {
      const status = await home.status();
      const folders = (id: string) => status.accounts.find((a) => a.id === id)?.status.folders ?? [];
      expect(folders(CAL).length).toBeGreaterThan(0);
      expect(folders(CARD).length).toBeGreaterThan(0);
      expect(new Set(folders(CAL).map((f) => f.collection))).not.toContain('contacts');
      expect(folders(CARD).map((f) => f.collection)).toEqual(folders(CARD).map(() => 'contacts'));
      expect(home.signals).toEqual([]);

      await put(`${cal}lunch-${tag}.ics`, event(`lunch-${tag}`, `Lunch ${tag}`), 'text/calendar');
      await put(`${book}ann-${tag}.vcf`, contact(`ann-${tag}`, `Ann${tag}`), 'text/vcard');
      // Hourly polling and the start-up check done: only this check can announce them.
      const n = home.signals.length;
      const t = Date.now();
      await home.cli(['check']);
      await waitFor('both changes announced', CHECK_WITHIN_MS, () =>
        after(n).length >= 2 ? true : undefined,
      ).catch(fail);
      for (const s of home.signals.slice(n)) expect(s.at).toBeGreaterThanOrEqual(t);
      const s = await settle();
      expect(after(n, CAL)).toEqual([
        { account: CAL, collection: 'calendar', added: [`Lunch ${tag}`], changed: [], removed: [] },
        s.cal,
      ]);
      expect(after(n, CARD)).toEqual([
        { account: CARD, collection: 'contacts', added: [`Test Ann${tag}`], changed: [], removed: [] },
        s.card,
      ]);
      expect(after(n)).toHaveLength(4);
    });

    it('PUT, DELETE, PUT of the same vCard gives three signals; an event edited back and forth announces every edit', async () => {
      const n = home.signals.length;
      const url = `${book}bea-${tag}.vcf`;
      const bea = contact(`bea-${tag}`, `Bea${tag}`);
      const name = `Test Bea${tag}`;
      await put(url, bea, 'text/vcard');
      await checkFor(CARD, 'Bea added', has(CARD, name));
      await davDelete(carol, url);
      await checkFor(CARD, 'Bea removed', has(CARD, name, 'removed'));
      await put(url, bea, 'text/vcard');
      await checkFor(CARD, 'Bea added again', has(CARD, name));

      const title = `Standup ${tag}`;
      const href = `${cal}standup-${tag}.ics`;
      await put(href, event(`standup-${tag}`, title, 9), 'text/calendar');
      await checkFor(CAL, 'the event added', has(CAL, title));
      for (const [i, hour] of [10, 9, 10].entries()) {
        await put(href, event(`standup-${tag}`, title, hour), 'text/calendar');
        await checkFor(CAL, `edit ${i + 1}`, has(CAL, title, 'changed'));
      }
      const s = await settle();
      const bea1 = { account: CARD, collection: 'contacts', changed: [], removed: [] };
      expect(after(n, CARD)).toEqual([
        { ...bea1, added: [name] },
        { account: CARD, collection: 'contacts', added: [], changed: [], removed: [name] },
        { ...bea1, added: [name] },
        s.card,
      ]);
      const edit = { account: CAL, collection: 'calendar', added: [], changed: [title], removed: [] };
      expect(after(n, CAL)).toEqual([
        { account: CAL, collection: 'calendar', added: [title], changed: [], removed: [] },
        edit,
        edit,
        edit,
        s.cal,
      ]);
      const ids = home.signals.slice(n).map((x) => x.signal.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('kill -9 while events are PUT and checked: every event announced exactly once, nothing lost or repeated', async () => {
      const n = home.signals.length;
      const titles: string[] = [];
      for (let i = 1; i <= 8; i++) {
        const title = `Through a kill ${i} ${tag}`;
        titles.push(title);
        await put(`${cal}kill-${i}-${tag}.ics`, event(`kill-${i}-${tag}`, title), 'text/calendar');
        if (i === 5) await home.killDaemon();
        if (i === 6) await home.startDaemon();
        // Checks run while events keep coming; the kill lands in or between them.
        if (i % 2 === 0) await home.cli(['check', CAL]);
      }
      await home.accountState(CAL, 'waiting');
      await home.cli(['check', CAL]);
      await waitFor('every event announced', CHECK_WITHIN_MS * 2, () =>
        titles.every((t) => after(n).some((b) => b.added.includes(t))) ? true : undefined,
      ).catch(fail);
      const s = await settle();
      const added = after(n).flatMap((b) => b.added);
      for (const t of titles) expect(added.filter((x) => x === t)).toEqual([t]);
      expect(added.sort()).toEqual([...titles, ...s.cal.added, ...s.card.added].sort());
      expect(after(n).flatMap((b) => [...b.changed, ...b.removed])).toEqual([]);
      const ids = home.signals.map((x) => x.signal.id);
      expect(new Set(ids).size).toBe(ids.length);
    }, 240_000);
  },
);
