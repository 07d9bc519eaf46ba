import { afterEach, describe, expect, it } from 'vitest';
import {
  type JmapFixture,
  type JmapFixtureOptions,
  startJmapFixture,
} from '../../../fixtures/src/jmap-server';
import { KEY_MAIL } from '../../src/watch/jmap-watcher';
import type { MailState } from '../../src/jmap/mail-sync';
import { harness, testContext, until } from './support';

let fx: JmapFixture | undefined;
const open: { close(): Promise<void> }[] = [];

async function fixture(o: JmapFixtureOptions = {}): Promise<JmapFixture> {
  fx = await startJmapFixture(o);
  return fx;
}

function watch(...args: Parameters<typeof harness>) {
  const h = harness(...args);
  open.push(h);
  h.watcher.start();
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await fx?.close();
  fx = undefined;
});

const waiting = (h: ReturnType<typeof harness>) => h.watcher.status().state === 'waiting';

describe('JMAP watcher on the fixture server', () => {
  it('baselines silently, then one Email/import gives exactly one signal with rich content (EventSource push)', async () => {
    const f = await fixture();
    f.data.add({ subject: 'old mail' });
    const h = watch(f.url);
    await until(
      'waiting with EventSource push',
      () => waiting(h) && h.watcher.pushMode() === 'eventsource' && f.openStreams === 1,
    );
    expect(h.t.published).toEqual([]);
    expect(h.watcher.status().folders).toEqual([{ id: 'mb-inbox', name: 'Inbox', collection: 'mail' }]);

    const id = f.data.add({
      subject: 'Lunch?',
      from: { name: 'Bob', email: 'bob@example.org' },
      preview: 'Shall we meet at noon',
      receivedAt: '2026-12-07T10:00:00Z',
    });
    await until('one signal', () => h.t.published.length === 1);
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(1);
    expect(h.t.published[0]).toMatchObject({
      accountId: 'acct',
      source: 'jmap',
      collection: 'mail',
      folder: { id: 'mb-inbox', name: 'Inbox' },
      added: [
        {
          id,
          title: 'Lunch?',
          from: 'Bob <bob@example.org>',
          preview: 'Shall we meet at noon',
          start: '2026-12-07T10:00:00Z',
          unread: true,
        },
      ],
      changed: [],
      removed: [],
    });
    // The stream was opened with the RFC 8620 §7.3 parameters.
    const es = f.requests.find((r) => r.path === '/jmap/eventsource/');
    expect(es).toBeDefined();
  });

  it('announces a read flag as changed, a move out and a deletion as removed, a move in as added', async () => {
    const f = await fixture();
    const a = f.data.add({ subject: 'a' });
    const b = f.data.add({ subject: 'b' });
    const c = f.data.add({ subject: 'c', mailbox: 'archive' });
    const h = watch(f.url);
    await until('waiting', () => waiting(h) && f.openStreams === 1);

    f.data.setSeen(a, true);
    await until('changed', () => h.t.published.length === 1);
    expect(h.t.published[0]).toMatchObject({ changed: [{ id: a, unread: false }], added: [], removed: [] });

    f.data.move(b, 'archive');
    await until('moved out', () => h.t.published.length === 2);
    expect(h.t.published[1]).toMatchObject({ removed: [{ id: b }], added: [], changed: [] });

    f.data.destroy(a);
    await until('destroyed', () => h.t.published.length === 3);
    expect(h.t.published[2]).toMatchObject({ removed: [{ id: a }] });

    f.data.move(c, 'inbox');
    await until('moved in', () => h.t.published.length === 4);
    expect(h.t.published[3]).toMatchObject({ added: [{ id: c, title: 'c' }] });
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(4);
  });

  it('mail that arrives already read is tracked, not announced; marked unread later it is a change', async () => {
    const f = await fixture();
    const h = watch(f.url);
    await until('waiting', () => waiting(h) && f.openStreams === 1);
    const read = f.data.add({ subject: 'sent by me', seen: true });
    const unread = f.data.add({ subject: 'news' });
    await until('news', () => h.t.published.length === 1);
    await h.watcher.checkNow();
    expect(h.t.published.map((s) => s.added.map((i) => i.id))).toEqual([[unread]]);
    f.data.setSeen(read, false);
    await until('changed', () => h.t.published.length === 2);
    expect(h.t.published[1]).toMatchObject({ added: [], changed: [{ id: read, unread: true }] });
  });

  it('a restart resumes from the stored state: what arrived while stopped is announced once, nothing earlier again', async () => {
    const f = await fixture();
    const ctx = testContext('acct');
    const h1 = watch(f.url, {}, { ctx });
    await until('waiting', () => waiting(h1));
    f.data.add({ subject: 'first' });
    await until('first', () => ctx.published.length === 1);
    await h1.close();

    const second = f.data.add({ subject: 'while stopped' });
    const h2 = watch(f.url, {}, { ctx });
    await until('second', () => ctx.published.length === 2);

    await h2.watcher.checkNow();
    expect(ctx.published.map((s) => s.added.map((i) => i.title))).toEqual([['first'], ['while stopped']]);
    expect(ctx.published[1]!.added[0]!.id).toBe(second);
    await h2.close();
    // A restart with nothing new still lists its mailbox (status, folders.list).
    const h3 = watch(f.url, {}, { ctx });
    await until('waiting', () => h3.watcher.status().state === 'waiting');
    expect(h3.watcher.status().folders).toEqual([{ id: 'mb-inbox', name: 'Inbox', collection: 'mail' }]);
    expect(ctx.published).toHaveLength(2);
  });

  it('a dropped stream loses nothing: reconnects with Last-Event-ID after back-off and catches up', async () => {
    const f = await fixture();
    const h = watch(f.url);
    await until('stream open', () => waiting(h) && f.openStreams === 1);
    f.data.add({ subject: 'seen live' });
    await until('live', () => h.t.published.length === 1);

    f.dropStreams();
    await until('push reconnect armed', () => h.watcher.pushMode() === 'none');
    const id = f.data.add({ subject: 'while the stream was down' });
    expect(h.t.published).toHaveLength(1);
    h.clock.advance(60_000);
    await until('caught up', () => h.t.published.length === 2);
    expect(h.t.published[1]!.added[0]!.id).toBe(id);
    await until('stream open again', () => f.openStreams === 1);
    const connects = f.requests.filter((r) => r.path === '/jmap/eventsource/');
    expect(connects).toHaveLength(2);
    expect(connects[1]!.lastEventId).toBe('1');
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(2);
  });

  it('a stalled stream (no ping for 2× ping + grace) is dropped and reopened', async () => {
    const f = await fixture({ eventSource: 'stall' });
    const h = watch(f.url, { ping: 10 });
    await until('stream open', () => waiting(h) && f.openStreams === 1);
    f.setEventSource('push');
    h.clock.advance(10_000 * 2 + 1_000);
    await until('push reconnect armed', () => f.eventSourceConnects === 1 && h.clock.timers.size > 0);
    h.clock.advance(60_000);
    await until('reopened', () => f.eventSourceConnects === 2 && f.openStreams === 1);
    f.data.add({ subject: 'after the stall' });
    await until('signal', () => h.t.published.length === 1);
  });

  it('cannotCalculateChanges re-baselines with reconcile: what happened since is announced once, nothing known again', async () => {
    const f = await fixture();
    const keep = f.data.add({ subject: 'keep' });
    const gone = f.data.add({ subject: 'gone' });
    const filed = f.data.add({ subject: 'filed' });
    const ctx = testContext('acct');
    const h1 = watch(f.url, {}, { ctx });
    await until('waiting', () => waiting(h1));
    await h1.close();

    const fresh = f.data.add({ subject: 'fresh' });
    f.data.destroy(gone);
    f.data.move(filed, 'archive');
    f.data.add({ subject: 'read elsewhere', seen: true });
    f.forgetHistory();
    const h2 = watch(f.url, {}, { ctx });
    await until('reconciled', () => ctx.published.length === 1);
    expect(ctx.published[0]!.added.map((i) => i.title)).toEqual(['fresh']);
    expect(ctx.published[0]!.added[0]!.id).toBe(fresh);
    expect(ctx.published[0]!.removed.map((i) => i.id).sort()).toEqual([filed, gone].sort());
    expect(JSON.stringify(ctx.published)).not.toContain(keep);
    const stored = ctx.store.get<MailState>('acct', KEY_MAIL)!;
    expect(stored.emailState).toBe(f.data.emailState);

    f.data.add({ subject: 'next' });
    await until('normal again', () => ctx.published.length === 2);
    expect(ctx.published[1]!.added.map((i) => i.title)).toEqual(['next']);
    await h2.watcher.checkNow();
    expect(ctx.published).toHaveLength(2);
  });

  it("an eventSourceUrl that answers 204 at once (Debian's Cyrus) falls back to Email/changes on the interval and says so", async () => {
    const f = await fixture({ eventSource: 'no-content' });
    const h = watch(f.url, { interval: 60 });
    await until('polling', () => waiting(h) && h.watcher.pushMode() === 'poll');
    expect(h.watcher.status().detail).toMatch(/204 No Content.*Email\/changes every 60 s/);
    f.data.add({ subject: 'polled' });
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(1);
    f.data.add({ subject: 'polled on the interval' });
    h.clock.advance(60_000);
    await until('interval sync', () => h.t.published.length === 2);
    expect(h.t.published[1]!.added[0]!.title).toBe('polled on the interval');
  });

  it('while polling for want of push, push is tried again every hour, and the user is told once', async () => {
    const f = await fixture({ eventSource: 'no-content' });
    const ctx = testContext('acct');
    const notices: string[] = [];
    ctx.ctx.notice = (n) => notices.push(`${n.code}: ${n.text}`);
    const h = watch(f.url, { interval: 60 }, { ctx });
    await until('polling', () => waiting(h) && h.watcher.pushMode() === 'poll');
    expect(f.eventSourceConnects).toBe(1);
    for (let minute = 1; minute <= 60; minute++) {
      h.clock.advance(60_000);
      await h.watcher.checkNow();
    }
    await until('push tried again', () => f.eventSourceConnects === 2 && h.watcher.pushMode() === 'poll');
    expect(notices).toEqual([
      'JMAP_ERR_PUSH: the EventSource endpoint answers 204 No Content (no push); checking with Email/changes every 60 s instead',
    ]);
    // A server that starts pushing is used: the next hourly try opens the stream.
    f.setEventSource('push');
    h.clock.advance(3600_000);
    await until('push', () => h.watcher.pushMode() === 'eventsource' && f.openStreams === 1);
  });

  it('an endpoint that closes at once three times in a row counts as not pushing', async () => {
    const f = await fixture({ eventSource: 'close-at-once' });
    const h = watch(f.url);
    for (let i = 1; i <= 3; i++) {
      await until(`attempt ${i}`, () => f.eventSourceConnects === i);
      if (i < 3) {
        await until('reconnect armed', () => h.clock.timers.size > 0 && h.watcher.pushMode() === 'none');
        h.clock.advance(5 * 60_000);
      }
    }
    await until('polling', () => h.watcher.pushMode() === 'poll');
    expect(h.watcher.status().detail).toMatch(/closes at once without pushing \(3 times\)/);
  });

  it('uses WebSocket push (RFC 8887) where the session offers it', async () => {
    const f = await fixture({ webSocket: true });
    const h = watch(f.url);
    await until(
      'websocket push',
      () => waiting(h) && h.watcher.pushMode() === 'websocket' && f.webSocketPushes === 1,
    );
    expect(f.eventSourceConnects).toBe(0);
    const id = f.data.add({ subject: 'over the socket' });
    await until('signal', () => h.t.published.length === 1);
    expect(h.t.published[0]!.added[0]).toMatchObject({ id, title: 'over the socket' });
    f.dropStreams();
    await until('push reconnect armed', () => h.watcher.pushMode() === 'none');
    f.data.add({ subject: 'while down' });
    h.clock.advance(60_000);
    await until('caught up', () => h.t.published.length === 2 && f.webSocketPushes === 2);
  });

  it('reads the session again when answers carry a new sessionState', async () => {
    const f = await fixture();
    const h = watch(f.url);
    await until('waiting', () => waiting(h));
    f.bumpSession();
    await h.watcher.checkNow();
    await h.watcher.checkNow();
    expect(f.requests.filter((r) => r.path === '/jmap/session')).toHaveLength(2);
    f.data.add({ subject: 'after the session change' });
    await until('signal', () => h.t.published.length === 1);
  });

  it('follows Mailbox/changes: a watched mailbox renamed keeps its name current, one created later is baselined silently, one deleted is forgotten', async () => {
    const f = await fixture();
    const h = watch(f.url, { mailboxes: ['inbox', 'Work'] });
    await until('waiting', () => waiting(h) && f.openStreams === 1);
    expect(h.watcher.status().folders?.map((m) => m.name)).toEqual(['Inbox']);

    const work = f.data.createMailbox('Work');
    await until('Work watched', () => h.watcher.status().folders?.length === 2);
    f.data.add({ mailbox: work, subject: 'in Work' });
    await until('signal', () => h.t.published.length === 1);
    expect(h.t.published[0]).toMatchObject({
      folder: { id: work, name: 'Work' },
      added: [{ title: 'in Work' }],
    });

    f.data.renameMailbox('inbox', 'Posteingang');
    await until('renamed', () => h.watcher.status().folders?.some((m) => m.name === 'Posteingang') === true);

    f.data.destroyMailbox(work);
    await until('forgotten', () => h.watcher.status().folders?.length === 1);
    await h.watcher.checkNow();
    expect(h.watcher.status().state).toBe('waiting');
    // The mail deleted with its mailbox is not announced: the mailbox is no longer watched.
    expect(h.t.published).toHaveLength(1);
  });

  it('mark-read sets $seen with Email/set; its own echo is not announced as a change, other changes are', async () => {
    const f = await fixture();
    const h = watch(f.url);
    await until('waiting', () => waiting(h) && f.openStreams === 1);
    const a = f.data.add({ subject: 'a' });
    const b = f.data.add({ subject: 'b' });
    await until('added', () => h.t.published.flatMap((s) => s.added).length === 2);
    const before = h.t.published.length;
    expect(await h.watcher.markRead?.('mb-inbox', [a, 'M999'])).toEqual({
      marked: [a],
      failed: [{ id: 'M999', status: 404 }],
    });
    expect(f.data.emails.get(a)?.keywords.has('$seen')).toBe(true);
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(before);
    // Someone else marking b read is a change.
    f.data.setSeen(b, true);
    await until('changed', () => h.t.published.length === before + 1);
    expect(h.t.published.at(-1)).toMatchObject({ changed: [{ id: b, unread: false }] });
    await expect(h.watcher.markRead?.('mb-archive', [b])).rejects.toMatchObject({
      code: 'JMAP_ERR_NO_SUCH_ITEM',
    });
    await expect(h.watcher.markRead?.('mb-inbox', ['M998'])).rejects.toMatchObject({
      code: 'JMAP_ERR_NO_SUCH_ITEM',
    });
  });

  it('a 401 waits for the user (needs-credentials), without retries', async () => {
    const f = await fixture({ users: { alice: 'other' } });
    const h = watch(f.url);
    await until('needs-credentials', () => h.watcher.status().state === 'needs-credentials');
    expect(h.watcher.status().lastError?.code).toBe('JMAP_ERR_UNAUTHORIZED');
    expect(h.clock.timers.size).toBe(0);
  });
});
