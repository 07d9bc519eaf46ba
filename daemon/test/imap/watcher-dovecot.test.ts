/**
 * The IMAP watcher against a real Dovecot 2.3 (scripts/dovecot-imap.sh), in three configurations:
 * NOTIFY (one connection hears INBOX and Lists), IDLE + STATUS (NOTIFY left out of
 * imap_capability), and IDLE only (no CONDSTORE/QRESYNC/PREVIEW either: UID diff, body
 * previews). APPEND gives exactly one signal with from, subject and a preview; mail that
 * arrives \Seen is not announced; EXPUNGE and MOVE give removals; a restart neither loses nor
 * repeats; a BYE reconnects; a deleted mailbox is reported and forgotten; a re-created mailbox (new UIDVALIDITY) re-baselines without a flood.
 * Waits are polls with generous deadlines, never sleeps; "exactly once" is checked after one
 * more full check of every mailbox (checkNow), not after a pause.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { createImapWatcher, type ImapWatcher } from '../../src/watch/imap-watcher';
import type { WatcherContext, WatcherStatus } from '../../src/watch/types';
import pino from 'pino';
import {
  DOVECOT_USERS,
  type DovecotConfig,
  dovecotAccount,
  ensureDovecot,
  kick,
  mail,
  otherClient,
  resetUser,
} from './dovecot';

const server = await ensureDovecot();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`imap watcher-dovecot: skipped — ${unavailable}`);

async function waitFor<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function harness(
  config: DovecotConfig,
  user: string,
  store = new MemoryStore(),
  extra: Parameters<typeof dovecotAccount>[2] = {},
) {
  const published: ChangeSignal[] = [];
  const statuses: WatcherStatus[] = [];
  const notices: string[] = [];
  const ctx: WatcherContext = {
    accountId: `acct-${user}`,
    store,
    log: pino({ level: process.env.TIDINGS_TEST_LOG ?? 'silent' }),
    secret: { get: async () => DOVECOT_USERS.get(user) ?? '' },
    publish: (s) => published.push(...s),
    setStatus: (s) => statuses.push(s),
    notice: (n) => notices.push(n.code),
  };
  const watcher = createImapWatcher(
    dovecotAccount(user, config, { mailboxes: ['INBOX', 'Lists'], ...extra }),
    ctx,
    {
      random: () => 0,
    },
  );
  return { watcher, published, statuses, notices, store };
}

/** The UID an APPEND got (UIDPLUS, RFC 4315): Dovecot always says it. */
function uidOf(r: false | { uid?: number | undefined }): number {
  if (!r || r.uid === undefined) throw new Error('APPEND without APPENDUID');
  return r.uid;
}

const addedTitles = (sigs: ChangeSignal[]) => sigs.flatMap((s) => s.added.map((a) => a.title));

describe.skipIf(unavailable !== undefined && !inCi)('IMAP watcher against Dovecot', () => {
  let other: ImapFlow | undefined;
  let watcher: ImapWatcher | undefined;

  beforeAll(() => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
  });
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await other?.logout().catch(() => undefined);
    other = undefined;
  });

  for (const [config, user] of [
    ['full', 'ivy'],
    ['nonotify', 'jon'],
    ['plain', 'ivy'],
  ] as const) {
    describe(`${config} (${config === 'full' ? 'NOTIFY, QRESYNC' : config === 'nonotify' ? 'IDLE + STATUS, QRESYNC' : 'IDLE + STATUS, UID diff'})`, () => {
      it('baselines silently, then APPEND gives exactly one signal with from, subject, preview; \\Seen mail is not announced', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        await other.append('INBOX', mail({ subject: 'Old one' }));
        const h = harness(config, user, undefined, { statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        expect(h.watcher.status().detail).toContain(config === 'full' ? 'NOTIFY' : 'IDLE on INBOX');
        expect(h.watcher.status().detail).toContain(config === 'plain' ? 'UID diff' : 'QRESYNC');
        expect(h.published).toEqual([]);

        await other.append(
          'INBOX',
          mail({ subject: 'Hello there', body: 'First line of the body.\r\nSecond.' }),
        );
        await waitFor('the new mail', () =>
          addedTitles(h.published).includes('Hello there') ? true : undefined,
        );
        const sig = h.published.find((s) => s.added.some((a) => a.title === 'Hello there'))!;
        expect(sig).toMatchObject({
          source: 'imap',
          collection: 'mail',
          folder: { id: 'INBOX', name: 'Inbox' },
        });
        expect(sig.added).toHaveLength(1);
        expect(sig.added[0]).toMatchObject({
          from: 'Ann Sender <ann@example.test>',
          unread: true,
          preview: 'First line of the body. Second.',
        });

        // Read mail filed by another client: in the state, not announced.
        await other.append('INBOX', mail({ subject: 'Already read' }), ['\\Seen']);
        // In the other mailbox: NOTIFY's STATUS, or the STATUS poll.
        await other.append('Lists', mail({ subject: 'List post' }));
        await waitFor('the list post', () =>
          addedTitles(h.published).includes('List post') ? true : undefined,
        );
        await watcher.checkNow();
        expect(addedTitles(h.published).sort()).toEqual(['Hello there', 'List post']);
        expect(h.published.find((s) => s.added.some((a) => a.title === 'List post'))?.folder).toEqual({
          id: 'Lists',
          name: 'Lists',
        });
      });

      it('EXPUNGE and MOVE are removals; the moved mail is new where it lands', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const h = harness(config, user, undefined, { statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        const a = uidOf(await other.append('INBOX', mail({ subject: 'To delete' })));
        const b = uidOf(await other.append('INBOX', mail({ subject: 'To move' })));
        await waitFor('two mails', () => (addedTitles(h.published).length === 2 ? true : undefined));
        const lock = await other.getMailboxLock('INBOX');
        try {
          await other.messageDelete(String(a), { uid: true });
          await other.messageMove(String(b), 'Lists', { uid: true });
        } finally {
          lock.release();
        }
        const removed = () =>
          h.published.filter((s) => s.folder.id === 'INBOX').flatMap((s) => s.removed.map((r) => r.id));
        await waitFor('both removals', () => (removed().length === 2 ? true : undefined));
        expect(removed().sort()).toEqual([String(a), String(b)].sort());
        await waitFor('the moved mail in Lists', () =>
          h.published.some((s) => s.folder.id === 'Lists' && s.added.some((x) => x.title === 'To move'))
            ? true
            : undefined,
        );
        await watcher.checkNow();
        expect(removed()).toHaveLength(2);
        expect(addedTitles(h.published).sort()).toEqual(['To delete', 'To move', 'To move']);
      });

      it('a restart loses nothing and repeats nothing', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const store = new MemoryStore();
        const h1 = harness(config, user, store);
        watcher = h1.watcher;
        watcher.start();
        await waitFor('waiting', () => (h1.watcher.status().state === 'waiting' ? true : undefined));
        await other.append('INBOX', mail({ subject: 'Before stop' }));
        await waitFor('before stop', () =>
          addedTitles(h1.published).includes('Before stop') ? true : undefined,
        );
        await watcher.stop();

        await other.append('INBOX', mail({ subject: 'While stopped' }));
        await other.append('Lists', mail({ subject: 'While stopped, list' }));
        const h2 = harness(config, user, store);
        watcher = h2.watcher;
        watcher.start();
        await waitFor('the offline mail', () => (addedTitles(h2.published).length === 2 ? true : undefined));
        await watcher.checkNow();
        expect(addedTitles(h2.published).sort()).toEqual(['While stopped', 'While stopped, list']);
        // Pending signals of the first run are in the outbox once, under their ids.
        const ids = store.pending().map((s) => s.id);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('a BYE (doveadm kick) reconnects with back-off; mail that came meanwhile is announced once', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const h = harness(config, user);
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        await other.logout();
        other = undefined;
        await kick(config, user);
        await waitFor('backing-off', () =>
          h.statuses.some((s) => s.state === 'backing-off') ? true : undefined,
        );
        const off = h.statuses.find((s) => s.state === 'backing-off')!;
        expect(off.lastError?.code).toMatch(/^IMAP_ERR_(BYE|NETWORK)$/);
        other = await otherClient(user, config);
        await other.append('INBOX', mail({ subject: 'During the reconnect' }));
        await waitFor('the mail', () =>
          addedTitles(h.published).includes('During the reconnect') ? true : undefined,
        );
        await waitFor('waiting again', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        await watcher.checkNow();
        expect(addedTitles(h.published)).toEqual(['During the reconnect']);
      });

      it('a deleted watched mailbox is reported missing and forgotten; INBOX keeps working', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const h = harness(config, user, undefined, { statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        expect(h.store.get(h.watcher.accountId, 'imap:mb:Lists')).toBeDefined();
        await other.mailboxDelete('Lists');
        await waitFor('Lists missing', () =>
          h.watcher.status().detail?.includes('missing on the server: Lists') ? true : undefined,
        );
        expect(h.notices).toContain('IMAP_ERR_NO_MAILBOX');
        expect(h.store.get(h.watcher.accountId, 'imap:mb:Lists')).toBeUndefined();
        await other.append('INBOX', mail({ subject: 'Still here' }));
        await waitFor('INBOX mail', () =>
          addedTitles(h.published).includes('Still here') ? true : undefined,
        );
        // Made again: a new mailbox, baselined silently (its mail was never known).
        await other.mailboxCreate('Lists');
        await other.append('Lists', mail({ subject: 'In the new Lists' }));
        await watcher.checkNow();
        await waitFor('Lists back', () =>
          h.watcher.status().detail?.includes('missing') ? undefined : true,
        );
        await watcher.checkNow();
        await other.append('Lists', mail({ subject: 'Later in Lists' }));
        await waitFor('later mail', () =>
          addedTitles(h.published).includes('Later in Lists') ? true : undefined,
        );
        expect(addedTitles(h.published)).toEqual(['Still here', 'Later in Lists']);
      });

      it('the selected mailbox deleted: the session moves its IDLE to the next watched mailbox', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        await other.mailboxCreate('Other');
        const h = harness(config, user, undefined, { mailboxes: ['Lists', 'Other'], statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        await other.mailboxDelete('Lists');
        await waitFor('Lists missing', () =>
          h.watcher.status().state === 'waiting' &&
          h.watcher.status().detail?.includes('missing on the server: Lists')
            ? true
            : undefined,
        );
        await other.append('Other', mail({ subject: 'In Other' }));
        await waitFor('the mail', () => (addedTitles(h.published).includes('In Other') ? true : undefined));
        await watcher.checkNow();
        expect(addedTitles(h.published)).toEqual(['In Other']);
        expect(h.notices).toContain('IMAP_ERR_NO_MAILBOX');
      });

      it('mail read in another client is a `changed` item with unread: false (CONDSTORE), and nothing more', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const h = harness(config, user, undefined, { statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        const uid = uidOf(await other.append('INBOX', mail({ subject: 'Read me' })));
        const listUid = uidOf(await other.append('Lists', mail({ subject: 'Read me too' })));
        await waitFor('both mails', () => (addedTitles(h.published).length === 2 ? true : undefined));
        for (const [box, u] of [
          ['INBOX', uid],
          ['Lists', listUid],
        ] as const) {
          const lock = await other.getMailboxLock(box);
          try {
            await other.messageFlagsAdd(String(u), ['\\Seen'], { uid: true });
          } finally {
            lock.release();
          }
        }
        const changed = () =>
          h.published.flatMap((s) => s.changed.map((c) => `${s.folder.id}/${c.id}/${c.unread}`));
        if (config === 'plain') {
          // No CONDSTORE: flags are not tracked; one more round of checks finds nothing.
          await watcher.checkNow();
          expect(changed()).toEqual([]);
          return;
        }
        await waitFor('both flag changes', () => (changed().length === 2 ? true : undefined));
        await watcher.checkNow();
        expect(changed().sort()).toEqual([`INBOX/${uid}/false`, `Lists/${listUid}/false`]);
        expect(addedTitles(h.published)).toHaveLength(2);
      });

      it('markRead stores \\Seen on the server and its echo is not announced', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        const h = harness(config, user, undefined, { statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        const uid = uidOf(await other.append('Lists', mail({ subject: 'Mark me' })));
        await waitFor('the mail', () => (addedTitles(h.published).includes('Mark me') ? true : undefined));
        const r = await watcher.markRead!('Lists', [String(uid), 'not-a-uid']);
        expect(r).toEqual({ marked: [String(uid)], failed: [{ id: 'not-a-uid', status: 0 }] });
        const lock = await other.getMailboxLock('Lists');
        try {
          const m = await other.fetchOne(String(uid), { flags: true }, { uid: true });
          expect(m && [...(m.flags ?? [])]).toContain('\\Seen');
        } finally {
          lock.release();
        }
        await watcher.checkNow();
        await watcher.checkNow();
        expect(h.published.flatMap((s) => s.changed)).toEqual([]);
        // Still watching read-only from INBOX: new mail there is announced.
        await other.append('INBOX', mail({ subject: 'After the mark' }));
        await waitFor('later mail', () =>
          addedTitles(h.published).includes('After the mark') ? true : undefined,
        );
        await expect(watcher.markRead!('Nope', ['1'])).rejects.toMatchObject({
          code: 'IMAP_ERR_NO_SUCH_ITEM',
        });
      });

      it('a mailbox with a non-ASCII name (modified UTF-7 on the wire) is watched like any other', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Réunions');
        const h = harness(config, user, undefined, { mailboxes: ['INBOX', 'Réunions'], statusInterval: 1 });
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        await other.append('Réunions', mail({ subject: 'Ordre du jour' }));
        await waitFor('the mail', () =>
          addedTitles(h.published).includes('Ordre du jour') ? true : undefined,
        );
        await watcher.checkNow();
        expect(h.published.map((s) => s.folder)).toEqual([{ id: 'Réunions', name: 'Réunions' }]);
      });

      it('a re-created mailbox (new UIDVALIDITY) re-baselines: old mail is not announced, newer unread mail is', async () => {
        other = await otherClient(user, config);
        await resetUser(other);
        await other.mailboxCreate('Lists');
        await other.append('Lists', mail({ subject: 'Known' }));
        const store = new MemoryStore();
        const h = harness(config, user, store);
        watcher = h.watcher;
        watcher.start();
        await waitFor('waiting', () => (h.watcher.status().state === 'waiting' ? true : undefined));
        await watcher.stop();
        const before = store.get<{ uidValidity: string }>(h.watcher.accountId, 'imap:mb:Lists')!.uidValidity;

        await other.mailboxDelete('Lists');
        await other.mailboxCreate('Lists');
        const old = new Date(Date.now() - 30 * 24 * 3600_000);
        await other.append('Lists', mail({ subject: 'Known', date: old }), [], old);
        await other.append('Lists', mail({ subject: 'Old, restored', date: old }), [], old);
        await other.append('Lists', mail({ subject: 'Really new' }));
        const h2 = harness(config, user, store);
        watcher = h2.watcher;
        watcher.start();
        await waitFor('waiting', () => (h2.watcher.status().state === 'waiting' ? true : undefined));
        await watcher.checkNow();
        const after = store.get<{ uidValidity: string }>(h.watcher.accountId, 'imap:mb:Lists')!.uidValidity;
        expect(after).not.toBe(before);
        expect(h2.notices).toContain('IMAP_UIDVALIDITY');
        expect(addedTitles(h2.published)).toEqual(['Really new']);
      });
    });
  }
});
