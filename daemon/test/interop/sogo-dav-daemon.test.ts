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
import type { DaemonHome } from './support/daemon-process';
import { davChecks, has, startDavDaemon } from './support/dav-daemon';
import { serverGate } from './support/gate';
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
const gate = serverGate('sogo-dav-daemon', unreachable);

/** One check of carol's few collections (plus the whole-second re-check); generous on 2 cores. */
const CHECK_WITHIN_MS = 30_000;
const CAL = 'sogo-caldav';
const CARD = 'sogo-carddav';

describe.skipIf(gate.skip)('SOGo CalDAV/CardDAV, issue 14, through the shipped daemon', () => {
  const tag = randomUUID().slice(0, 8);
  const cal = calendarUrl(carol);
  const book = contactsUrl(carol);
  const created: string[] = [];
  let home: DaemonHome;

  const put = async (url: string, body: string, type: 'text/calendar' | 'text/vcard') => {
    if (!created.includes(url)) created.push(url);
    await davPut(carol, url, body, type);
  };
  const event = (uid: string, summary: string, hour = 14) => {
    const start = new Date(Date.UTC(2026, 11, 4, hour, 0));
    return eventIcs({ uid, summary, start, end: new Date(+start + 3600e3) });
  };
  const contact = (uid: string, family: string) => contactVcf({ uid, given: 'Test', family });
  const { checkFor, checkAnnouncesBoth, expectReaddedAndEdited, killWhileChecking } = davChecks({
    home: () => home,
    cal: CAL,
    card: CARD,
    withinMs: CHECK_WITHIN_MS,
    tag,
    putSentinel: async (n, summary, family) => {
      const uid = `sentinel-${n}-${tag}`;
      await put(`${cal}${uid}.ics`, event(uid, summary), 'text/calendar');
      await put(`${book}${uid}.vcf`, contact(uid, family), 'text/vcard');
      return `Test ${family}`; // contactVcf's given name
    },
  });

  beforeAll(async () => {
    gate.require();
    home = await startDavDaemon({
      name: 'sogo-dav',
      cal: CAL,
      card: CARD,
      url: `${SOGO.davRoot}/`,
      username: carol.uid,
      password: carol.password,
      passwordEnv: 'TIDINGS_INTEROP_SOGO_PASSWORD',
      // Once an hour: every later signal comes from a check the test asks for.
      interval: { min: 3600 },
    });
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
    await checkAnnouncesBoth(`Lunch ${tag}`, `Test Ann${tag}`);
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
    await expectReaddedAndEdited(n, name, title);
  });

  it('kill -9 while events are PUT and checked: every event announced exactly once, nothing lost or repeated', async () => {
    await killWhileChecking({
      events: 8,
      killAt: 5,
      startAt: 6,
      checkAfter: (i) => i % 2 === 0,
      put: (i, title) => put(`${cal}kill-${i}-${tag}.ics`, event(`kill-${i}-${tag}`, title), 'text/calendar'),
      tag,
    });
  }, 240_000);
});
