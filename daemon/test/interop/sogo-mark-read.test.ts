/**
 * "Mark as read" (issue 16) against a real ActiveSync server: the shipped daemon (the bundle as a
 * process, DaemonHome) watching carol's SOGo account, a mail APPENDed unseen over IMAP, its
 * signal read from `tidings watch --json`, then `tidings mark-read <account> <folder> <item>`
 * through the bundle with the ids that signal carries. Another mail client (IMAP FETCH FLAGS)
 * must then see \Seen on the message, and the daemon must not announce its own change: no signal
 * names the item again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonHome, waitFor } from './support/daemon-process';
import { buildMail, imapAppend, imapExpunge, imapFlags, sogoUnreachableReason, user } from './support/sogo';
import { serverGate } from './support/gate';
import { QUIET_MS, READY_WITHIN_MS, SIGNAL_WITHIN_MS, sogoEasHome } from './support/sogo-daemon';

// carol belongs to the suites that run the shipped daemon (scripts/sogo/users.tsv); the files
// run one after another (vitest.interop.config.ts), and this one counts only its own mail.
const carol = user('carol');
const unreachable = await sogoUnreachableReason(carol);
const gate = serverGate('sogo-mark-read', unreachable);

const ID = 'sogo-carol-read';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(gate.skip)('Mark as read on SOGo through the shipped daemon', () => {
  const tag = randomUUID().slice(0, 8);
  const subject = `Please read me ${tag}`;
  let home: DaemonHome;

  beforeAll(async () => {
    gate.require();
    home = await sogoEasHome('sogo-read', ID, carol);
    await home.startDaemon();
    await home.accountState(ID, 'waiting', READY_WITHIN_MS);
  });

  afterAll(async () => {
    await home?.close();
    if (!unreachable) await imapExpunge(carol, subject).catch(() => 0);
  });

  it('tidings mark-read sets \\Seen on the server, and the daemon does not announce its own change', async () => {
    await imapAppend(
      carol,
      buildMail({ from: { name: 'Dana Scully', email: 'dana@example.org' }, to: carol, subject, body: 'Hi' }),
    );
    expect(await imapFlags(carol, subject)).toEqual([[]]);
    const mine = () =>
      home.signals.filter((s) =>
        [...s.signal.added, ...s.signal.changed, ...s.signal.removed].some((i) => i.title === subject),
      );
    const got = await waitFor('the mail signal', SIGNAL_WITHIN_MS, () => mine()[0]).catch((err: Error) => {
      throw new Error(`${err.message}\n--- daemon log:\n${home.logTail()}`);
    });
    const s = got.signal;
    expect(s).toMatchObject({ accountId: ID, source: 'eas', collection: 'mail', changed: [], removed: [] });
    expect(s.added.map((i) => i.title)).toEqual([subject]);
    const item = s.added[0]!;
    expect(item.unread).not.toBe(false);

    const before = home.signals.length;
    const r = await home.run(['mark-read', ID, s.folder.id, item.id]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('marked 1 read');

    // Another client sees it read: the change reached the IMAP store behind SOGo.
    await waitFor('\\Seen over IMAP', 30_000, async () =>
      (await imapFlags(carol, subject))[0]?.includes('\\Seen') ? true : undefined,
    );
    expect(await imapFlags(carol, subject)).toEqual([['\\Seen']]);

    // Our own change is not news: nothing about this item (and no mail at all, since this file
    // alone writes to carol's mailbox while it runs) within two of SOGo's change checks.
    await sleep(QUIET_MS);
    const after = home.signals.slice(before);
    expect(after.filter((x) => x.signal.collection === 'mail')).toEqual([]);
    expect(mine()).toHaveLength(1);
    expect(home.log()).not.toMatch(/network error/);
  });
});
