/**
 * The shipped daemon against a real ActiveSync server, the way users run it (issue 13 §1): the
 * bundle `dist/tidings.mjs` as a process with its own XDG directories, a config pointing
 * straight at SOGo's ActiveSync URL (SOGo 5.8 from Debian, scripts/sogo.sh; no proxy in front,
 * nothing injected: the production dispatcher), the password from an environment variable, and
 * the signals read from a `tidings watch --json` process. Changes are made behind the daemon's
 * back — IMAP APPEND into Dovecot, CalDAV/CardDAV PUT into SOGo — and each must come out as
 * exactly one signal, also across a clean restart and a kill -9. What the daemon sent is read
 * from sogod's own log, not from a recording in the daemon's path.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/signal';
import { type DaemonHome, type SeenSignal, waitFor } from './support/daemon-process';
import {
  buildMail,
  calendarUrl,
  contactsUrl,
  contactVcf,
  davDelete,
  davPut,
  eventIcs,
  imapAppend,
  imapExpunge,
  sogoDevicesBefore,
  sogoEasRequestsSince,
  sogoLogMark,
  sogoUnreachableReason,
  user,
} from './support/sogo';
import { serverGate } from './support/gate';
import { QUIET_MS, READY_WITHIN_MS, SIGNAL_WITHIN_MS, sogoEasHome } from './support/sogo-daemon';

// carol: no other suite changes her mailbox, calendar or address book (scripts/sogo/users.tsv).
const carol = user('carol');
const unreachable = await sogoUnreachableReason(carol);
const gate = serverGate('sogo-eas', unreachable);

const ID = 'sogo-carol';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const latencies: { what: string; ms: number }[] = [];

describe.skipIf(gate.skip)('the shipped daemon against SOGo (ActiveSync, direct)', () => {
  const tag = randomUUID().slice(0, 8);
  let home: DaemonHome;
  /** sogod's log position when the daemon first started. */
  let logStart = 0;
  /** Devices of earlier runs: their parked Pings are logged when they end, maybe during this run. */
  let earlier = new Set<string>();
  /** What this run's daemon (and its checks) sent SOGo for carol since `mark`. */
  const sentSince = (mark: number) =>
    sogoEasRequestsSince(mark, carol.uid).filter((r) => !earlier.has(r.deviceId));
  /** The mail the APPEND test announced: subject and the ServerId it was announced under. */
  let appended: { subject: string; id: string } | undefined;

  const since = (t0: number, collection?: Collection): SeenSignal[] =>
    home.signals.filter(
      (s) => s.at >= t0 && (collection === undefined || s.signal.collection === collection),
    );
  /** Every item title announced as added, over the whole run (a coalesced signal may hold several). */
  const addedTitles = () => home.signals.flatMap((s) => s.signal.added.map((i) => i.title));
  const first = (what: string, t0: number, collection: Collection) =>
    waitFor(what, SIGNAL_WITHIN_MS, () => since(t0, collection)[0]).catch((err: Error) => {
      throw new Error(`${err.message}\n--- daemon log:\n${home.logTail()}`);
    });

  beforeAll(async () => {
    gate.require();
    home = await sogoEasHome('sogo', ID, carol);
    logStart = sogoLogMark();
    earlier = sogoDevicesBefore(logStart);
    await home.startDaemon();
    await home.accountState(ID, 'waiting', READY_WITHIN_MS);
  });

  afterAll(async () => {
    await home?.close();
    for (const l of latencies) console.log(`sogo-eas latency: ${l.what}: ${l.ms} ms`);
  });

  it('reaches a parked Ping on SOGo directly, watching inbox, calendar and contacts, and announces nothing that was there', async () => {
    const status = await home.status();
    const account = status.accounts.find((a) => a.id === ID);
    expect(account?.status.state).toBe('waiting');
    // SOGo also lists the personal calendar's tasks as a folder of its own.
    expect(account?.status.folders?.map((f) => f.collection)).toEqual(
      expect.arrayContaining(['calendar', 'contacts', 'mail']),
    );
    expect(home.signals).toEqual([]);
    // The server saw it: Provision, FolderSync and the baseline Syncs, all from one device
    // (sogod logs a request when it ends: the open Ping is not in its log yet).
    const sent = sentSince(logStart);
    expect(sent.map((r) => r.cmd)).toEqual(expect.arrayContaining(['Provision', 'FolderSync', 'Sync']));
    expect(new Set(sent.map((r) => r.deviceId)).size).toBe(1);
  });

  it('a mail APPENDed to INBOX gives exactly one mail signal with its subject and sender', async () => {
    const subject = `Quarterly figures ${tag}`;
    const from = { name: 'Dana Scully', email: 'dana@example.org' };
    const t0 = Date.now();
    await imapAppend(carol, buildMail({ from, to: carol, subject, body: 'The numbers are in.\nDana' }));
    const got = await first('the mail signal', t0, 'mail');
    latencies.push({ what: 'IMAP APPEND → mail signal (watch --json)', ms: got.at - t0 });
    await sleep(QUIET_MS);

    const mail = since(t0, 'mail');
    expect(mail).toHaveLength(1);
    const s = mail[0]!.signal;
    expect(s).toMatchObject({ accountId: ID, source: 'eas', collection: 'mail', changed: [], removed: [] });
    expect(s.folder.name).toBe('INBOX');
    expect(s.added).toHaveLength(1);
    expect(s.added[0]).toMatchObject({ title: subject });
    expect(s.added[0]!.from).toContain(from.email);
    expect(s.added[0]!.preview).toContain('The numbers are in.');
    expect(since(t0)).toHaveLength(1);
    appended = { subject, id: s.added[0]!.id };
  });

  it('that mail expunged over IMAP gives exactly one signal removing the item announced before', async () => {
    if (!appended) throw new Error('needs the APPEND test');
    const t0 = Date.now();
    expect(await imapExpunge(carol, appended.subject)).toBe(1);
    const got = await first('the removal signal', t0, 'mail');
    latencies.push({ what: 'IMAP EXPUNGE → mail signal', ms: got.at - t0 });
    await sleep(QUIET_MS);

    const mail = since(t0, 'mail');
    expect(mail).toHaveLength(1);
    expect(mail[0]!.signal).toMatchObject({ added: [], changed: [] });
    expect(mail[0]!.signal.removed.map((i) => i.id)).toEqual([appended.id]);
    expect(since(t0)).toHaveLength(1);
  });

  it('an event PUT over CalDAV and a contact PUT over CardDAV each give exactly one signal, through the Ping', async () => {
    const title = `Design review ${tag}`;
    const start = new Date(Date.UTC(2026, 11, 3, 14, 0));
    const eventHref = `${calendarUrl(carol)}tidings-${tag}.ics`;
    const contactHref = `${contactsUrl(carol)}tidings-${tag}.vcf`;
    const t0 = Date.now();
    const mark = sogoLogMark();
    await davPut(
      carol,
      eventHref,
      eventIcs({
        uid: `ev-${tag}`,
        summary: title,
        start,
        end: new Date(+start + 3600e3),
        location: 'Room 4',
      }),
      'text/calendar',
    );
    await davPut(
      carol,
      contactHref,
      contactVcf({ uid: `ct-${tag}`, given: 'Grace', family: `Hopper${tag}` }),
      'text/vcard',
    );
    try {
      const [cal, card] = await Promise.all([
        first('the calendar signal', t0, 'calendar'),
        first('the contacts signal', t0, 'contacts'),
      ]);
      latencies.push({ what: 'CalDAV PUT → calendar signal', ms: cal.at - t0 });
      latencies.push({ what: 'CardDAV PUT → contacts signal', ms: card.at - t0 });
      await sleep(QUIET_MS);

      const calendar = since(t0, 'calendar');
      expect(calendar).toHaveLength(1);
      expect(calendar[0]!.signal.added).toHaveLength(1);
      expect(calendar[0]!.signal.added[0]).toMatchObject({ title, location: 'Room 4' });
      expect(Date.parse(calendar[0]!.signal.added[0]!.start ?? '')).toBe(+start);
      const contacts = since(t0, 'contacts');
      expect(contacts).toHaveLength(1);
      expect(contacts[0]!.signal.added[0]!.title).toBe(`Grace Hopper${tag}`);
      expect(since(t0, 'mail')).toEqual([]);
      // Push, not polling: meanwhile the daemon sent SOGo only Pings and the Syncs they asked
      // for (a FolderSync here means a session started again: a request failed).
      const sent = sentSince(mark).map((r) => r.cmd);
      expect(sent).toContain('Sync');
      expect(sent.filter((c) => c !== 'Ping' && c !== 'Sync')).toEqual([]);
    } finally {
      await davDelete(carol, eventHref);
      await davDelete(carol, contactHref);
    }
  });

  it('tidings account test and doctor pass on the same path, as the same device', async () => {
    // The clean-up deletions of the previous test are announced first.
    await waitFor('the removals to be announced', SIGNAL_WITHIN_MS, () =>
      home.signals.some((s) => s.signal.collection === 'calendar' && s.signal.removed.length > 0) &&
      home.signals.some((s) => s.signal.collection === 'contacts' && s.signal.removed.length > 0)
        ? true
        : undefined,
    );
    const test = await home.run(['account', 'test', ID, '--json']);
    const result = JSON.parse(test.stdout || '{}') as {
      ok: boolean;
      steps: { name: string; ok: boolean }[];
    };
    expect(
      result.steps?.map((s) => s.name),
      test.stdout + test.stderr,
    ).toEqual(expect.arrayContaining(['options', 'auth', 'ping']));
    expect(test.code, test.stdout + test.stderr).toBe(0);
    const doctor = await home.run(['doctor', '--json']);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    // One device on the server for the account: the daemon's, the test's and the doctor's.
    const devices = new Set(sentSince(logStart).map((r) => r.deviceId));
    expect(devices.size).toBe(1);
  });

  it('a change made while the daemon is stopped is announced once after restart, nothing earlier again', async () => {
    await sleep(QUIET_MS);
    const announced = new Set(home.signals.map((s) => s.signal.id));
    const before = home.signals.length;
    expect(await home.stopDaemon()).toBe(0);

    const subject = `Written while away ${tag}`;
    await imapAppend(
      carol,
      buildMail({ from: { name: 'Fox Mulder', email: 'fox@example.org' }, to: carol, subject, body: 'Hi' }),
    );
    const t0 = Date.now();
    await home.startDaemon();
    const got = await first('the catch-up mail signal', t0, 'mail');
    latencies.push({ what: 'restart → catch-up mail signal', ms: got.at - t0 });
    await home.accountState(ID, 'waiting', READY_WITHIN_MS);
    await sleep(QUIET_MS);

    const after = home.signals.slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]!.signal.added.map((i) => i.title)).toEqual([subject]);
    expect(announced.has(after[0]!.signal.id)).toBe(false);
  });

  it('kill -9 while mail flows: every mail announced exactly once, nothing lost or repeated', async () => {
    const subjects = [1, 2, 3].map((n) => `Through a kill ${n} ${tag}`);
    const mail = (subject: string) =>
      buildMail({
        from: { name: 'Walter Skinner', email: 'walter@example.org' },
        to: carol,
        subject,
        body: 'x',
      });
    const t0 = Date.now();
    await imapAppend(carol, mail(subjects[0]!));
    await first('the first mail', t0, 'mail');
    // The second arrives and the daemon dies at once: maybe before its Sync, maybe inside it.
    await imapAppend(carol, mail(subjects[1]!));
    await home.killDaemon();
    await imapAppend(carol, mail(subjects[2]!));
    await home.startDaemon();
    await waitFor('all three mails announced', SIGNAL_WITHIN_MS * 2, () =>
      subjects.every((s) => addedTitles().includes(s)) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen: ${JSON.stringify(addedTitles())}\n${home.logTail()}`);
    });
    await home.accountState(ID, 'waiting', READY_WITHIN_MS);
    await sleep(QUIET_MS);

    for (const s of subjects) expect(addedTitles().filter((t) => t === s)).toEqual([s]);
    const ids = home.signals.map((s) => s.signal.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Still one device after two restarts and a kill.
    expect(new Set(sentSince(logStart).map((r) => r.deviceId)).size).toBe(1);
    for (const s of subjects) await imapExpunge(carol, s);
  });

  it('against a healthy SOGo no request failed: every close of a kept-alive socket was survived by a resend', () => {
    // sogod closes kept-alive connections after answering without `Connection: close` (issue
    // 13 §1); a request written on such a socket must go again on a fresh one (net/resend.ts),
    // not end in a network error and a back-off — whether the close shows as UND_ERR_SOCKET,
    // EPIPE or ECONNRESET.
    const failed = home
      .log()
      .split('\n')
      .filter((l) => l.includes('network error'));
    expect(failed).toEqual([]);
  });
});
