/**
 * Records a typical EAS session against the real SOGo 5.8 of scripts/sogo.sh into
 * fixtures/recorded/sogo-5.8/session.json (docs/interop.md, "Recorded exchanges").
 *
 *   bash scripts/sogo.sh start && npx tsx scripts/record-sogo.ts [out.json]
 *
 * The daemon's own EAS watcher (createEasWatcher → EasClient → commands) drives the session,
 * with its undici dispatcher wrapped by the recorder: OPTIONS, Provision (SOGo: no policy),
 * FolderSync, the baseline Syncs of Inbox, Calendar and Contacts, a Ping; then an IMAP APPEND
 * (Ping Status 2, the Syncs that fetch the mail), a CalDAV event PUT, a CardDAV contact PUT (the
 * same again), and a Ping left alone until its 60 s heartbeat expires (Status 1, the shortest
 * heartbeat the engine accepts). The signals the watcher published are kept in `meta.signals`:
 * the replay test expects exactly these.
 */
import { mkdirSync } from 'node:fs';
import { hostname, platform, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, int } from '@tidings/wbxml';
import pino from 'pino';
import { Agent } from 'undici';
import { easAccountSchema } from '../daemon/src/config/account';
import type { ChangeSignal } from '../daemon/src/signal';
import { MemoryStore } from '../daemon/src/store/memory-store';
import { createEasWatcher } from '../daemon/src/watch/eas-watcher';
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
  imapPrimeCondstore,
  SOGO,
  sogoUnreachableReason,
  user,
} from '../daemon/test/interop/support/sogo';
import { bodyBytes, EasRecorder } from '../fixtures/src/recorder';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? `${root}/fixtures/recorded/sogo-5.8/session.json`);

/** What the session puts into SOGo; the tests assert these come back out. */
const SESSION = {
  accountId: 'sogo-alice',
  mail: {
    subject: 'Recorded session: quarterly figures',
    from: { name: 'Carol Danvers', email: 'carol@example.org' },
    body: 'The numbers are in.\nCarol',
  },
  event: {
    uid: 'tidings-recorded-event',
    summary: 'Recorded session: design review',
    start: '2026-12-03T14:00:00.000Z',
    location: 'Room 4',
  },
  contact: { uid: 'tidings-recorded-contact', given: 'Grace', family: 'Hopper' },
} as const;

const alice = user('alice');
const eventHref = `${calendarUrl(alice)}${SESSION.event.uid}.ics`;
const contactHref = `${contactsUrl(alice)}${SESSION.contact.uid}.vcf`;

async function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cleanup(): Promise<void> {
  await imapExpunge(alice, SESSION.mail.subject);
  await davDelete(alice, eventHref);
  await davDelete(alice, contactHref);
}

async function main(): Promise<void> {
  const why = await sogoUnreachableReason(alice);
  if (why) throw new Error(why);
  await cleanup();
  await imapPrimeCondstore(alice);

  const recorder = new EasRecorder({
    server: 'SOGo 5.8 (Debian sogo + sogo-activesync), scripts/sogo.sh',
    description:
      'One watcher session of the Tidings EAS engine: OPTIONS, Provision, FolderSync, baseline Syncs, ' +
      'Ping → Status 2 after an IMAP APPEND → Syncs with the mail, the same for a CalDAV event PUT and ' +
      'a CardDAV contact PUT, a Ping that expires (Status 1, 60 s heartbeat), and the next Ping, still ' +
      'open when the recording stopped. Re-record with scripts/record-sogo.ts.',
    secrets: [alice.password],
    // DeviceInformation in Provision names this machine: not the recording's business.
    scrub: { [`Tidings on ${hostname()}`]: 'Tidings on HOST', [`${platform()} ${release()}`]: 'OS' },
  });
  const dispatcher = new Agent({ connections: 4 }).compose(recorder.interceptor);
  const signals: ChangeSignal[] = [];
  const account = easAccountSchema().parse({
    id: SESSION.accountId,
    kind: 'exchange',
    email: alice.email,
    username: alice.uid,
    url: SOGO.easUrl,
    auth: { type: 'basic', secret: { env: 'TIDINGS_RECORD_UNUSED' } },
    heartbeat: { initial: 60, min: 60, max: 60 },
  });
  const watcher = createEasWatcher(
    account,
    {
      accountId: account.id,
      store: new MemoryStore(),
      log: pino({ level: process.env.TIDINGS_RECORD_LOG ?? 'silent' }),
      secret: { get: async () => alice.password },
      publish: (s) => {
        signals.push(...s);
        for (const x of s)
          console.log(`signal: ${x.collection} ${[...x.added, ...x.changed].map((i) => i.title).join(', ')}`);
      },
      setStatus: () => {},
    },
    { dispatcher },
  );

  const pingOpen = () => {
    const s = watcher.status();
    if (s.state === 'backing-off' || s.state === 'needs-credentials')
      throw new Error(`watcher is ${s.state}: ${s.lastError?.code} ${s.lastError?.message}`);
    const last = recorder.exchanges.at(-1);
    return s.state === 'waiting' && last?.command === 'Ping' && last.response === null;
  };
  const signalFor = (collection: string) => () => signals.find((s) => s.collection === collection);
  const step = async (what: string, act: () => Promise<unknown>, collection: string) => {
    console.log(`${what} …`);
    await act();
    await waitFor(`the ${collection} signal`, 60_000, signalFor(collection));
    // Let the follow-up Syncs drain and the next Ping open.
    await new Promise((r) => setTimeout(r, 1500));
    await waitFor('the next Ping', 30_000, pingOpen);
  };

  watcher.start();
  try {
    await waitFor('the baseline and the first Ping', 60_000, pingOpen);
    console.log(`baseline done: ${recorder.exchanges.length} exchanges`);
    await step(
      'IMAP APPEND',
      () =>
        imapAppend(
          alice,
          buildMail({
            from: SESSION.mail.from,
            to: alice,
            subject: SESSION.mail.subject,
            body: SESSION.mail.body,
          }),
        ),
      'mail',
    );
    const start = new Date(SESSION.event.start);
    await step(
      'CalDAV PUT',
      () =>
        davPut(
          alice,
          eventHref,
          eventIcs({
            uid: SESSION.event.uid,
            summary: SESSION.event.summary,
            start,
            end: new Date(+start + 3600e3),
            location: SESSION.event.location,
          }),
          'text/calendar',
        ),
      'calendar',
    );
    await step(
      'CardDAV PUT',
      () =>
        davPut(
          alice,
          contactHref,
          contactVcf({
            uid: SESSION.contact.uid,
            given: SESSION.contact.given,
            family: SESSION.contact.family,
          }),
          'text/vcard',
        ),
      'contacts',
    );
    console.log('waiting for a Ping to expire (60 s heartbeat) …');
    const from = recorder.exchanges.length - 1;
    await waitFor('a Ping with Status 1', 90_000, () =>
      recorder.exchanges
        .slice(from)
        .some(
          (e) =>
            e.command === 'Ping' &&
            e.response?.body &&
            int(decode(bodyBytes(e.response.body)), 'Status') === 1,
        ),
    );
    await waitFor('the Ping after the expiry', 30_000, pingOpen);
  } finally {
    await watcher.stop();
    await dispatcher.close();
    await cleanup();
  }
  recorder.meta = {
    session: SESSION,
    signals: signals.map(({ observedAt: _, ...s }) => s),
  };
  mkdirSync(dirname(out), { recursive: true });
  recorder.save(out);
  console.log(`wrote ${recorder.exchanges.length} exchanges and ${signals.length} signals to ${out}`);
}

await main();
