/**
 * The EAS engine against a real ActiveSync server: SOGo 5.8 from Debian with sogo-activesync,
 * started by scripts/sogo.sh (issue 3, "The real server"). Changes are made behind the daemon's
 * back — IMAP APPEND into Dovecot, CalDAV/CardDAV PUT into SOGo — and must come out of the
 * daemon's own code path (createEasWatcher → OPTIONS, FolderSync, Sync, Ping → store commit →
 * publish) as exactly one ChangeSignal each.
 */
import { randomUUID } from 'node:crypto';
import { all, child, decode, path, textOf } from '@tidings/wbxml';
import pino from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EasAccount, easAccountSchema } from '../../src/config/account';
import type { ChangeSignal, Collection } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { createEasWatcher, type EasWatcherHandle } from '../../src/watch/eas-watcher';
import type { WatcherStatus } from '../../src/watch/types';
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
  SOGO,
  type SogoUser,
  sogoUnreachableReason,
  user,
} from './support/sogo';

const unreachable = await sogoUnreachableReason();
const inCi = process.env.CI === 'true';
if (unreachable && !inCi) console.warn(`sogo-eas: skipped — ${unreachable}`);

/** How long a change can take to reach us: SOGo looks every SOGoInternalSyncInterval seconds. */
const SIGNAL_WITHIN_MS = (SOGO.internalSyncInterval * 3 + 10) * 1000;
/**
 * After a signal, how long we keep listening for a duplicate: two of SOGo's change checks, so a
 * folder SOGo still thinks changed would have been reported again (its Status 2 repeats until a
 * Sync returns no changes).
 */
const QUIET_MS = (SOGO.internalSyncInterval * 2 + 2) * 1000;

/** One sent EAS request as the wire saw it. */
interface SentRequest {
  cmd: string;
  at: number;
  /** Ping only: the folder ids the request names (empty for the empty-Ping shortcut). */
  pingFolders?: string[];
}

/** Records every EAS request the engine sends, decoding Ping bodies to see which folders they name. */
function recordingDispatcher(sent: SentRequest[]): Dispatcher {
  return new Agent({ connections: 4 }).compose((dispatch) => (opts, handler) => {
    const cmd = /[?&]Cmd=([^&]+)/.exec(opts.path)?.[1] ?? opts.method;
    const req: SentRequest = { cmd, at: Date.now() };
    if (cmd === 'Ping' && opts.body instanceof Uint8Array && opts.body.length > 0) {
      const folders = path(decode(opts.body), 'Folders');
      req.pingFolders = all(folders, 'Folder').map((f) => textOf(child(f, 'Id')) ?? '');
    } else if (cmd === 'Ping') {
      req.pingFolders = [];
    }
    sent.push(req);
    return dispatch(opts, handler);
  });
}

/** A running watcher for one SOGo user and what it has produced. */
interface Run {
  watcher: EasWatcherHandle;
  store: MemoryStore;
  signals: { signal: ChangeSignal; at: number }[];
  statuses: WatcherStatus[];
  sent: SentRequest[];
  stop(): Promise<void>;
}

function account(u: SogoUser): EasAccount {
  return easAccountSchema().parse({
    id: `sogo-${u.uid}`,
    kind: 'exchange',
    email: u.email,
    username: u.uid,
    url: SOGO.easUrl,
    auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_UNUSED' } },
    // The shortest heartbeat Exchange allows: a Ping left behind by a stopped watcher holds one
    // of SOGo's workers until its heartbeat ends, whatever happened to the client.
    heartbeat: { initial: 60, min: 60, max: 3540 },
  });
}

function startWatcher(u: SogoUser, store = new MemoryStore()): Run {
  const signals: Run['signals'] = [];
  const statuses: WatcherStatus[] = [];
  const sent: SentRequest[] = [];
  const dispatcher = recordingDispatcher(sent);
  const acct = account(u);
  const watcher = createEasWatcher(
    acct,
    {
      accountId: acct.id,
      store,
      log: pino({ level: process.env.TIDINGS_INTEROP_LOG ?? 'silent' }),
      secret: { get: async () => u.password },
      publish: (s) => signals.push(...s.map((signal) => ({ signal, at: Date.now() }))),
      setStatus: (s) => statuses.push(s),
    },
    { dispatcher },
  );
  watcher.start();
  return {
    watcher,
    store,
    signals,
    statuses,
    sent,
    stop: async () => {
      await watcher.stop();
      await dispatcher.close();
    },
  };
}

async function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the baseline is set and a Ping is open. */
async function pingOpen(run: Run): Promise<void> {
  await waitFor('the watcher to open a Ping', 60_000, () => {
    const s = run.watcher.status();
    if (s.state === 'backing-off' || s.state === 'needs-credentials') {
      throw new Error(`watcher is ${s.state}: ${s.lastError?.code} ${s.lastError?.message}`);
    }
    return s.state === 'waiting' ? true : undefined;
  });
}

function signalsFor(run: Run, collection: Collection, since: number) {
  return run.signals.filter((s) => s.signal.collection === collection && s.at >= since);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Change-to-signal latencies measured in this run, printed at the end. */
const latencies: { what: string; ms: number }[] = [];

describe.skipIf(unreachable !== undefined && !inCi)('EAS engine against SOGo (real server)', () => {
  const alice = user('alice');
  const tag = randomUUID().slice(0, 8);
  let run: Run;
  /** The mail the APPEND test announced: subject and the ServerId it was announced under. */
  let appended: { subject: string; id: string } | undefined;

  beforeAll(async () => {
    if (unreachable) throw new Error(`CI=true and ${unreachable}`);
    run = startWatcher(alice);
    await pingOpen(run);
  });

  afterAll(async () => {
    await run?.stop();
    for (const l of latencies) console.log(`sogo-eas latency: ${l.what}: ${l.ms} ms`);
  });

  it('sets a baseline first: the existing mail, event and contact announce nothing', () => {
    expect(run.signals).toEqual([]);
    const ping = run.sent.findLast((r) => r.cmd === 'Ping');
    // One Ping for the account, naming inbox, calendar and address book at once.
    expect(ping?.pingFolders).toEqual(
      expect.arrayContaining([expect.stringMatching(/^mail%2F/), 'vevent%2Fpersonal', 'vcard%2Fpersonal']),
    );
  });

  it('a mail APPENDed to INBOX gives exactly one mail signal with its subject and sender', async () => {
    const subject = `Quarterly figures ${tag}`;
    const from = { name: 'Carol Danvers', email: 'carol@example.org' };
    const t0 = Date.now();
    await imapAppend(alice, buildMail({ from, to: alice, subject, body: 'The numbers are in.\nCarol' }));
    const [got] = await waitFor('the mail signal', SIGNAL_WITHIN_MS, () => {
      const s = signalsFor(run, 'mail', t0);
      return s.length > 0 ? s : undefined;
    });
    latencies.push({ what: 'IMAP APPEND → mail signal', ms: got!.at - t0 });
    await sleep(QUIET_MS);

    const mail = signalsFor(run, 'mail', t0);
    expect(mail).toHaveLength(1);
    const s = mail[0]!.signal;
    expect(s).toMatchObject({
      accountId: 'sogo-alice',
      source: 'eas',
      collection: 'mail',
      changed: [],
      removed: [],
    });
    expect(s.folder.name).toBe('INBOX');
    expect(s.added).toHaveLength(1);
    expect(s.added[0]).toMatchObject({ title: subject });
    expect(s.added[0]!.from).toContain(from.email);
    expect(s.added[0]!.from).toContain(from.name);
    expect(s.added[0]!.preview).toContain('The numbers are in.');
    expect(run.signals.filter((x) => x.at >= t0)).toHaveLength(1);
    // SOGo's Ping reported the folder again until a Sync presented the new key; the watcher
    // learned that from this first change (collection-sync.ts, docs/interop.md item 5).
    expect(run.store.get('sogo-alice', 'eas.confirmSync')).toBe(true);
    appended = { subject, id: s.added[0]!.id };
  });

  it('that mail expunged over IMAP gives exactly one signal removing the item announced before', async () => {
    if (!appended) throw new Error('needs the APPEND test');
    const t0 = Date.now();
    expect(await imapExpunge(alice, appended.subject)).toBe(1);
    const got = await waitFor('the removal signal', SIGNAL_WITHIN_MS, () => signalsFor(run, 'mail', t0)[0]);
    latencies.push({ what: 'IMAP EXPUNGE → mail signal', ms: got.at - t0 });
    await sleep(QUIET_MS);

    const mail = signalsFor(run, 'mail', t0);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.signal).toMatchObject({ added: [], changed: [] });
    // The same ServerId the addition was announced under, so a notification can be withdrawn.
    expect(mail[0]!.signal.removed.map((i) => i.id)).toEqual([appended.id]);
    expect(run.signals.filter((x) => x.at >= t0)).toHaveLength(1);
  });

  it('an event PUT over CalDAV and a contact PUT over CardDAV each give exactly one signal, from one Ping', async () => {
    const title = `Design review ${tag}`;
    const start = new Date(Date.UTC(2026, 11, 3, 14, 0));
    const eventHref = `${calendarUrl(alice)}tidings-${tag}.ics`;
    const contactHref = `${contactsUrl(alice)}tidings-${tag}.vcf`;
    const t0 = Date.now();
    const pingsBefore = run.sent.filter((r) => r.cmd === 'Ping').length;
    await davPut(
      alice,
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
      alice,
      contactHref,
      contactVcf({ uid: `ct-${tag}`, given: 'Grace', family: `Hopper${tag}` }),
      'text/vcard',
    );
    try {
      const [cal, card] = await Promise.all([
        waitFor('the calendar signal', SIGNAL_WITHIN_MS, () => signalsFor(run, 'calendar', t0)[0]),
        waitFor('the contacts signal', SIGNAL_WITHIN_MS, () => signalsFor(run, 'contacts', t0)[0]),
      ]);
      latencies.push({ what: 'CalDAV PUT → calendar signal', ms: cal.at - t0 });
      latencies.push({ what: 'CardDAV PUT → contacts signal', ms: card.at - t0 });
      await sleep(QUIET_MS);

      const calendar = signalsFor(run, 'calendar', t0);
      expect(calendar).toHaveLength(1);
      expect(calendar[0]!.signal.added).toHaveLength(1);
      expect(calendar[0]!.signal.added[0]).toMatchObject({ title, location: 'Room 4' });
      expect(Date.parse(calendar[0]!.signal.added[0]!.start ?? '')).toBe(+start);
      expect(calendar[0]!.signal.folder.id).toBe('vevent%2Fpersonal');

      const contacts = signalsFor(run, 'contacts', t0);
      expect(contacts).toHaveLength(1);
      expect(contacts[0]!.signal.added).toHaveLength(1);
      expect(contacts[0]!.signal.added[0]!.title).toBe(`Grace Hopper${tag}`);

      expect(signalsFor(run, 'mail', t0)).toEqual([]);
      // Both came through the account's one Ping: every Ping sent meanwhile named all folders,
      // and no other kind of request polled for them.
      const pings = run.sent.filter((r) => r.cmd === 'Ping').slice(pingsBefore);
      for (const p of pings) {
        if (p.pingFolders?.length)
          expect(p.pingFolders).toEqual(expect.arrayContaining(['vevent%2Fpersonal', 'vcard%2Fpersonal']));
      }
      expect(run.sent.filter((r) => r.at >= t0 && !['Ping', 'Sync'].includes(r.cmd))).toEqual([]);
    } finally {
      await davDelete(alice, eventHref);
      await davDelete(alice, contactHref);
    }
  });

  it('a change made while the watcher is stopped is announced once on restart, nothing earlier again', async () => {
    // The previous test's clean-up deletions are announced before we stop.
    await waitFor('the removals to be announced', SIGNAL_WITHIN_MS, () =>
      signalsFor(run, 'calendar', 0).some((s) => s.signal.removed.length > 0) &&
      signalsFor(run, 'contacts', 0).some((s) => s.signal.removed.length > 0)
        ? true
        : undefined,
    );
    await sleep(QUIET_MS);
    const store = run.store;
    const announced = new Set(run.signals.map((s) => s.signal.id));
    await run.stop();

    const subject = `Written while away ${tag}`;
    await imapAppend(
      alice,
      buildMail({ from: { name: 'Dana Scully', email: 'dana@example.org' }, to: alice, subject, body: 'Hi' }),
    );

    const t0 = Date.now();
    run = startWatcher(alice, store);
    const [got] = await waitFor('the catch-up mail signal', SIGNAL_WITHIN_MS, () => {
      const s = signalsFor(run, 'mail', t0);
      return s.length > 0 ? s : undefined;
    });
    latencies.push({ what: 'restart → catch-up mail signal', ms: got!.at - t0 });
    await pingOpen(run);
    await sleep(QUIET_MS);

    // Exactly the mail written while away, once; no signal announced before the stop again.
    expect(run.signals).toHaveLength(1);
    const s = run.signals[0]!.signal;
    expect(s.collection).toBe('mail');
    expect(s.added.map((i) => i.title)).toEqual([subject]);
    // A new baseline (lost sync state) would have announced nothing; a replay would repeat ids.
    expect(announced.has(s.id)).toBe(false);
  });
});
