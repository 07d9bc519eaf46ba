/**
 * The shipped daemon against a real Cyrus 3.6 JMAP server (Debian's packages unpacked by
 * scripts/cyrus.sh), the way users run it (issue 17): the bundle as a process with its own XDG
 * directories, a `kind: jmap` account in its config file (url = the server, the session from
 * /.well-known/jmap), the password from an environment variable, signals read from a
 * `tidings watch --json` process. Debian's Cyrus is built without push: its eventSourceUrl
 * answers 204 at once, so the account must say so and check with Email/changes on its interval.
 * Email/import gives exactly one signal, `tidings mark-read` sets $seen (its echo not announced),
 * Email/set destroy and a move out give removals, and a
 * clean restart or a kill -9 neither loses nor repeats mail. JMAP push itself is verified on the
 * project's fixture server (jmap-fixture-daemon.test.ts, daemon/test/jmap/).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CYRUS_URL, CYRUS_USERS, CyrusJmap, ensureCyrus, releaseCyrus } from './support/cyrus';
import { DaemonHome, waitFor } from './support/daemon-process';

const server = await ensureCyrus();
const unavailable = 'reason' in server ? server.reason : undefined;
const inCi = process.env.CI === 'true';
if (unavailable !== undefined && !inCi) console.warn(`jmap-cyrus: skipped — ${unavailable}`);

/** The account checks every 15 s (the schema's floor); a change shows within a few rounds. */
const SIGNAL_WITHIN_MS = 60_000;
/** Long enough for another Email/changes round: a duplicate would have come. */
const QUIET_MS = 20_000;
const ID = 'cyrus-jmap';

describe.skipIf(unavailable !== undefined && !inCi)('the shipped daemon against Cyrus (JMAP)', () => {
  const tag = randomUUID().slice(0, 8);
  const alice = new CyrusJmap('alice');
  let home: DaemonHome;
  let inbox: string;
  let archive: string;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const signals = () => home.signals.map((s) => s.signal).filter((s) => s.accountId === ID);
  const added = () => signals().flatMap((s) => s.added.map((i) => i.title));
  const removedIds = () => signals().flatMap((s) => s.removed.map((i) => i.id));
  const announced = (title: string) =>
    waitFor(`"${title}" announced`, SIGNAL_WITHIN_MS, () =>
      added().includes(title) ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(added())}\n${home.logTail()}`);
    });

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    inbox = await alice.mailbox('inbox');
    archive = await alice.mailbox(undefined, 'Archive');
    await alice.clear(inbox);
    await alice.importMail(inbox, { subject: `Was there ${tag}` });
    home = new DaemonHome({
      name: 'cyrus',
      config: {
        accounts: [
          {
            id: ID,
            kind: 'jmap',
            url: CYRUS_URL,
            username: 'alice',
            secret: { env: 'TIDINGS_INTEROP_CYRUS_ALICE' },
            interval: 15,
          },
        ],
      },
      secrets: { TIDINGS_INTEROP_CYRUS_ALICE: CYRUS_USERS.get('alice') ?? '' },
    });
    await home.startDaemon();
    await home.accountState(ID, 'waiting');
  }, 180_000);

  afterAll(async () => {
    await home?.close();
    await releaseCyrus(server);
  });

  it('notices that the push endpoint does not push (204) and says it checks with Email/changes on the interval', async () => {
    await waitFor('the 204 fallback in status', 30_000, async () => {
      const s = await home.status();
      const detail = s.accounts.find((a) => a.id === ID)?.status.detail ?? '';
      return /204 No Content/.test(detail) ? detail : undefined;
    }).then((detail) => expect(detail).toMatch(/checking with Email\/changes every 15 s/));
    expect(signals()).toEqual([]);
  });

  it('Email/import: exactly one signal with from, subject and preview', async () => {
    const subject = `Imported ${tag}`;
    const id = await alice.importMail(inbox, {
      subject,
      from: 'Carol <carol@example.org>',
      body: 'See you at nine.',
    });
    await announced(subject);
    await sleep(QUIET_MS);
    const mine = signals().filter((s) => s.added.some((i) => i.id === id));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      source: 'jmap',
      collection: 'mail',
      folder: { id: inbox, name: 'Inbox' },
      added: [{ id, title: subject, from: 'Carol <carol@example.org>', unread: true }],
    });
    expect(mine[0]!.added[0]!.preview).toContain('See you at nine.');
    expect(added()).not.toContain(`Was there ${tag}`);
  });

  it('tidings mark-read sets $seen on the server, and its own echo is not announced as a change', async () => {
    const subject = `To mark read ${tag}`;
    const id = await alice.importMail(inbox, { subject });
    await announced(subject);
    const before = signals().length;
    await home.cli(['mark-read', ID, inbox, id]);
    const [got] = await alice.call([['Email/get', { ids: [id], properties: ['keywords'] }]]);
    expect((got!.list as { keywords: Record<string, boolean> }[])[0]!.keywords).toMatchObject({
      $seen: true,
    });
    await sleep(QUIET_MS);
    expect(
      signals()
        .slice(before)
        .filter((s) => s.changed.some((i) => i.id === id)),
    ).toEqual([]);
  });

  it('a destroyed mail and a mail moved to Archive are announced as removed, once', async () => {
    const gone = await alice.importMail(inbox, { subject: `To destroy ${tag}` });
    const moved = await alice.importMail(inbox, { subject: `To move ${tag}` });
    await announced(`To destroy ${tag}`);
    await announced(`To move ${tag}`);
    await alice.destroy([gone]);
    await alice.move(moved, archive);
    await waitFor('both removals', SIGNAL_WITHIN_MS, () =>
      removedIds().includes(gone) && removedIds().includes(moved) ? true : undefined,
    );
    await sleep(QUIET_MS);
    expect(removedIds().filter((x) => x === gone)).toHaveLength(1);
    expect(removedIds().filter((x) => x === moved)).toHaveLength(1);
  });

  it('a clean restart: mail that came while the daemon was down is announced once, nothing earlier again', async () => {
    const before = signals().length;
    await home.stopDaemon();
    const subject = `While stopped ${tag}`;
    await alice.importMail(inbox, { subject });
    await home.startDaemon();
    await announced(subject);
    await sleep(QUIET_MS);
    expect(
      signals()
        .slice(before)
        .flatMap((s) => s.added.map((i) => i.title)),
    ).toEqual([subject]);
  });

  it('kill -9: nothing lost, nothing repeated', async () => {
    const first = `Before the kill ${tag}`;
    await alice.importMail(inbox, { subject: first });
    await announced(first);
    const second = `Around the kill ${tag}`;
    await alice.importMail(inbox, { subject: second });
    await home.killDaemon();
    const third = `While dead ${tag}`;
    await alice.importMail(inbox, { subject: third });
    await home.startDaemon();
    await announced(second);
    await announced(third);
    await sleep(QUIET_MS);
    for (const t of [first, second, third])
      expect(
        added().filter((x) => x === t),
        t,
      ).toHaveLength(1);
    const ids = signals().map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
