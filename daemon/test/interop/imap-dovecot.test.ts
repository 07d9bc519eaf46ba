/**
 * The shipped daemon against a real Dovecot 2.3 (scripts/dovecot-imap.sh), the way users run it
 * (issue 17): the bundle as a process with its own XDG directories, two `kind: imap` accounts in
 * its config file — one on the NOTIFY configuration (INBOX and Lists on one connection), one on
 * the configuration whose imap_capability leaves NOTIFY out (IDLE on INBOX, STATUS of Lists) —
 * over IMAPS verified against the script's CA, passwords from environment variables, signals
 * read from a `tidings watch --json` process. `account test` and `doctor` pass; APPEND gives
 * exactly one signal, reading a mail elsewhere one `changed` item, EXPUNGE a removal, and a clean
 * restart or a kill -9 neither loses nor repeats mail.
 */
import { randomUUID } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOVECOT,
  DOVECOT_CA,
  DOVECOT_USERS,
  type DovecotConfig,
  ensureDovecot,
  mail,
  otherClient,
  releaseDovecot,
  resetUser,
} from '../imap/dovecot';
import { DaemonHome, waitFor } from './support/daemon-process';

const server = await ensureDovecot();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`imap-dovecot: skipped — ${unavailable}`);

/** IDLE and NOTIFY answer at once; the STATUS poll of Lists runs every 30 s (the schema's floor). */
const SIGNAL_WITHIN_MS = 75_000;
/** Long enough for another STATUS round: a duplicate would have come. */
const QUIET_MS = 35_000;
/** kim and lee are this suite's own users (scripts/dovecot-imap/users). */
const ACCOUNTS: { id: string; user: string; config: DovecotConfig }[] = [
  { id: 'dovecot-notify', user: 'kim', config: 'full' },
  { id: 'dovecot-idle', user: 'lee', config: 'nonotify' },
];

/** The UID an APPEND got (UIDPLUS, RFC 4315): Dovecot always says it. */
function uidOf(r: false | { uid?: number | undefined }): number {
  if (!r || r.uid === undefined) throw new Error('APPEND without APPENDUID');
  return r.uid;
}

describe.skipIf(unavailable !== undefined && !inCi)('the shipped daemon against Dovecot (IMAP)', () => {
  const tag = randomUUID().slice(0, 8);
  const clients = new Map<string, ImapFlow>();
  let home: DaemonHome;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const titles = () => home.signals.flatMap((s) => s.signal.added.map((i) => i.title));
  /** Distinct signal ids that announced `title` as added. */
  const idsOf = (title: string) =>
    new Set(
      home.signals.filter((s) => s.signal.added.some((i) => i.title === title)).map((s) => s.signal.id),
    );
  const announced = (title: string) =>
    waitFor(`"${title}" announced`, SIGNAL_WITHIN_MS, () =>
      titles().includes(title) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(titles())}\n${home.logTail()}`);
    });
  const client = (id: string) => clients.get(id)!;

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    for (const a of ACCOUNTS) {
      const c = await otherClient(a.user, a.config);
      await resetUser(c);
      await c.mailboxCreate('Lists');
      await c.append('INBOX', mail({ subject: `Was there ${a.id}` }));
      clients.set(a.id, c);
    }
    home = new DaemonHome({
      name: 'dovecot',
      config: {
        accounts: ACCOUNTS.map((a) => ({
          id: a.id,
          kind: 'imap',
          host: '127.0.0.1',
          port: DOVECOT[a.config].imaps,
          security: 'tls',
          username: a.user,
          secret: { env: `TIDINGS_INTEROP_IMAP_${a.user.toUpperCase()}` },
          tls: { ca: DOVECOT_CA },
          mailboxes: ['INBOX', 'Lists'],
          statusInterval: 30,
        })),
      },
      secrets: Object.fromEntries(
        ACCOUNTS.map((a) => [
          `TIDINGS_INTEROP_IMAP_${a.user.toUpperCase()}`,
          DOVECOT_USERS.get(a.user) ?? '',
        ]),
      ),
    });
    await home.startDaemon();
    for (const a of ACCOUNTS) await home.accountState(a.id, 'waiting');
  }, 180_000);

  afterAll(async () => {
    await home?.close();
    for (const c of clients.values()) await c.logout().catch(() => undefined);
    await releaseDovecot(server);
  });

  it('listens with NOTIFY where offered and IDLE + STATUS where not, and announces nothing that was there', async () => {
    const status = await home.status();
    const detail = (id: string) => status.accounts.find((a) => a.id === id)?.status.detail ?? '';
    expect(detail('dovecot-notify')).toContain('NOTIFY on 2 mailboxes');
    expect(detail('dovecot-idle')).toContain('IDLE on INBOX, STATUS of 1 more');
    expect(home.signals).toEqual([]);
    // account test and doctor through the running daemon: its secrets, its way of connecting.
    for (const a of ACCOUNTS) {
      const r = await home.run(['account', 'test', a.id, '--json']);
      const result = JSON.parse(r.stdout || '{}') as { ok: boolean; steps: { name: string; ok: boolean }[] };
      expect(
        result.steps?.map((x) => x.name),
        r.stdout + r.stderr,
      ).toEqual(['dns', 'login', 'mailboxes', 'push']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const doctor = await home.run(['doctor', '--json']);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
  });

  it('APPEND to INBOX and to Lists: exactly one signal each, with from, subject and preview', async () => {
    for (const a of ACCOUNTS) {
      await client(a.id).append('INBOX', mail({ subject: `Inbox ${a.id} ${tag}`, body: `Hello ${a.id}.` }));
      await client(a.id).append('Lists', mail({ subject: `List ${a.id} ${tag}` }));
    }
    for (const a of ACCOUNTS) {
      await announced(`Inbox ${a.id} ${tag}`);
      await announced(`List ${a.id} ${tag}`);
    }
    await sleep(QUIET_MS);
    for (const a of ACCOUNTS) {
      expect(idsOf(`Inbox ${a.id} ${tag}`).size).toBe(1);
      expect(idsOf(`List ${a.id} ${tag}`).size).toBe(1);
      const s = home.signals.find((x) =>
        x.signal.added.some((i) => i.title === `Inbox ${a.id} ${tag}`),
      )!.signal;
      expect(s).toMatchObject({
        accountId: a.id,
        source: 'imap',
        collection: 'mail',
        folder: { id: 'INBOX' },
      });
      expect(s.added[0]).toMatchObject({
        from: 'Ann Sender <ann@example.test>',
        preview: `Hello ${a.id}.`,
        unread: true,
      });
    }
    expect(titles().filter((t) => t?.startsWith('Was there'))).toEqual([]);
  }, 240_000);

  it('mail read in another client is one `changed` item with unread: false', async () => {
    const a = ACCOUNTS[0]!;
    const c = client(a.id);
    const appended = await c.append('INBOX', mail({ subject: `To be read ${tag}` }));
    await announced(`To be read ${tag}`);
    const uid = uidOf(appended);
    const lock = await c.getMailboxLock('INBOX');
    try {
      await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    } finally {
      lock.release();
    }
    const reads = () =>
      home.signals.filter(
        (s) =>
          s.signal.accountId === a.id &&
          s.signal.changed.some((x) => x.id === String(uid) && x.unread === false),
      );
    await waitFor('the read mail', SIGNAL_WITHIN_MS, () => (reads().length > 0 ? true : undefined));
    await sleep(5_000);
    expect(reads()).toHaveLength(1);
  }, 180_000);

  it('EXPUNGE gives one removal', async () => {
    const a = ACCOUNTS[0]!;
    const c = client(a.id);
    const appended = await c.append('INBOX', mail({ subject: `Short-lived ${tag}` }));
    await announced(`Short-lived ${tag}`);
    const uid = uidOf(appended);
    const lock = await c.getMailboxLock('INBOX');
    try {
      await c.messageDelete(String(uid), { uid: true });
    } finally {
      lock.release();
    }
    const removals = () =>
      home.signals.filter(
        (s) => s.signal.accountId === a.id && s.signal.removed.some((r) => r.id === String(uid)),
      );
    await waitFor('the removal', SIGNAL_WITHIN_MS, () => (removals().length > 0 ? true : undefined));
    await sleep(5_000);
    expect(removals()).toHaveLength(1);
  }, 180_000);

  it('mail written while the daemon is stopped is announced once after restart, nothing earlier again', async () => {
    const before = home.signals.length;
    const seen = new Set(home.signals.map((s) => s.signal.id));
    expect(await home.stopDaemon()).toBe(0);
    for (const a of ACCOUNTS)
      await client(a.id).append('INBOX', mail({ subject: `While away ${a.id} ${tag}` }));
    await home.startDaemon();
    for (const a of ACCOUNTS) await announced(`While away ${a.id} ${tag}`);
    await sleep(QUIET_MS);
    const after = home.signals.slice(before).filter((s) => !seen.has(s.signal.id));
    expect(after.flatMap((s) => s.signal.added.map((i) => i.title)).sort()).toEqual(
      ACCOUNTS.map((a) => `While away ${a.id} ${tag}`).sort(),
    );
  }, 240_000);

  it('kill -9 between mails: every mail announced under exactly one signal id', async () => {
    const a = ACCOUNTS[0]!;
    const c = client(a.id);
    const t = [1, 2, 3].map((n) => `Through a kill ${n} ${tag}`);
    await c.append('INBOX', mail({ subject: t[0]! }));
    await announced(t[0]!);
    await c.append('INBOX', mail({ subject: t[1]! }));
    await home.killDaemon();
    await c.append('Lists', mail({ subject: t[2]! }));
    await home.startDaemon();
    for (const x of t) await announced(x);
    await sleep(QUIET_MS);
    for (const x of t) expect(idsOf(x).size).toBe(1);
  }, 240_000);
});
