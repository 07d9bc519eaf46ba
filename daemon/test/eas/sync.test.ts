import { child, el, int, path, text } from '@tidings/wbxml';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store';
import { failTimes, type Harness, harness, pingParked, sent, waitFor } from './harness';

let hs: Harness[] = [];
afterEach(async () => {
  for (const h of hs) await h.close();
  hs = [];
});
async function open(...args: Parameters<typeof harness>): Promise<Harness> {
  const h = await harness(...args);
  hs.push(h);
  return h;
}

describe('Sync (MS-ASCMD 2.2.1.21) and FolderSync', () => {
  it('follows MoreAvailable in small windows until the server has no more; a signal per round', async () => {
    const h = await open();
    await pingParked(h);
    const before = sent(h, 'Sync').length;
    h.server.handlers.Ping = (_req, next) => next().then((r) => ({ ...r, delayMs: 50 }));
    for (let i = 0; i < 60; i++)
      h.server.addMail('alice', { subject: `m${i}`, from: 'a@b', body: 'preview text' });
    await waitFor(() => h.signals.reduce((n, s) => n + s.added.length, 0) === 60, 'all 60 announced');
    await waitFor(() => h.server.parkedPings > 0, 'Ping again');
    expect(h.signals.map((s) => s.added.length)).toEqual([25, 25, 10]);
    expect(new Set(h.signals.flatMap((s) => s.added.map((i) => i.title))).size).toBe(60);
    const rounds = sent(h, 'Sync').slice(before);
    // 25 + 25 + 10: the answer without MoreAvailable ends the burst (no confirming Sync: this
    // server's Ping compares with the key it handed out; ping.test.ts covers SOGo's kind).
    expect(rounds.length).toBe(3);
    const coll = path(rounds[0]?.body, 'Collections', 'Collection');
    expect(int(coll, 'WindowSize')).toBe(25);
    expect(int(path(coll, 'Options', 'BodyPreference'), 'TruncationSize')).toBe(200);
    expect(int(path(coll, 'Options', 'BodyPreference'), 'Type')).toBe(1);
  });

  it('an item added and deleted within one burst announces nothing; a deletion is announced as removed', async () => {
    const h = await open({ start: false });
    const keep = h.server.addMail('alice', { subject: 'keep', from: 'a@b' });
    h.watcher.start();
    await pingParked(h);
    h.server.handlers.Ping = failTimes(1, {
      delayMs: 100,
      body: el('Ping', 'Ping', el('Ping', 'Status', 1)),
    });
    const gone = h.server.addMail('alice', { subject: 'gone', from: 'a@b' });
    h.server.deleteItem('alice', gone);
    h.server.deleteItem('alice', keep);
    const s = await waitFor(() => h.signals[0], 'signal');
    expect(s.added).toEqual([]);
    expect(s.removed).toEqual([{ id: keep }]);
  });

  it('an invalid SyncKey (Status 3) recovers with a new baseline and announces nothing of the folder', async () => {
    const h = await open({ start: false });
    for (let i = 0; i < 5; i++) h.server.addMail('alice', { subject: `old${i}`, from: 'a@b' });
    h.watcher.start();
    await pingParked(h);
    const stale = h.store.get<string>('work', 'eas.syncKey.2');
    h.server.handlers.Sync = (req, next) => {
      const c = path(req.body, 'Collections', 'Collection');
      if (
        text(c, 'CollectionId') === '2' &&
        text(c, 'SyncKey') === stale &&
        !h.store.get('work', 'test.once')
      ) {
        h.store.commit('work', { set: { 'test.once': true } });
        return {
          body: el(
            'AirSync',
            'Sync',
            el(
              'AirSync',
              'Collections',
              el(
                'AirSync',
                'Collection',
                el('AirSync', 'SyncKey', '0'),
                el('AirSync', 'CollectionId', '2'),
                el('AirSync', 'Status', 3),
              ),
            ),
          ),
        };
      }
      return next();
    };
    h.server.addMail('alice', { subject: 'trigger', from: 'a@b' });
    await waitFor(() => h.store.get('work', 'test.once'), 'Status 3 served');
    await pingParked(h);
    expect(h.signals).toEqual([]);
    h.server.addMail('alice', { subject: 'after recovery', from: 'a@b' });
    const s = await waitFor(() => h.signals[0], 'signal');
    expect(s.added.map((i) => i.title)).toEqual(['after recovery']);
  });

  it('a stale FolderSync key (Status 9) restarts the hierarchy cleanly without announcing', async () => {
    const h = await open();
    await pingParked(h);
    h.server.addMail('alice', { subject: 'seen', from: 'a@b' });
    await waitFor(() => h.signals[0], 'first');
    await pingParked(h);
    await h.watcher.stop();
    h.server.forgetSyncState('alice');
    h.server.addMail('alice', { subject: 'while the server forgot us', from: 'a@b' });
    h.watcher.start();
    await pingParked(h);
    const syncs = sent(h, 'FolderSync');
    expect(text(syncs.at(-2)?.body, 'SyncKey')).not.toBe('0');
    expect(text(syncs.at(-1)?.body, 'SyncKey')).toBe('0');
    expect(h.signals).toHaveLength(1);
    h.server.addMail('alice', { subject: 'next', from: 'a@b' });
    await waitFor(() => h.signals[1], 'second');
    expect(h.signals[1]?.added[0]?.title).toBe('next');
  });

  it('a folder added, then one deleted: the hierarchy follows and the deleted folder is no longer watched', async () => {
    const h = await open({ account: { folders: ['Inbox', 'Projects'] } });
    await pingParked(h);
    h.server.addFolder('alice', { id: '20', parentId: '2', name: 'Projects', type: 12 });
    await waitFor(
      () => (sent(h, 'Ping').at(-1)?.body && h.server.parkedPings > 0 ? sent(h, 'Ping').length >= 2 : false),
      'Ping after FolderSync',
    );
    h.server.addMail('alice', { subject: 'in projects', from: 'a@b', folder: '20' });
    const s = await waitFor(() => h.signals[0], 'signal');
    expect(s.folder).toEqual({ id: '20', name: 'Projects' });
    await pingParked(h);
    h.server.deleteFolder('alice', '20');
    await waitFor(
      () => !h.store.get<{ id: string }[]>('work', 'eas.folders')?.some((f) => f.id === '20'),
      'deleted',
    );
    expect(h.store.get('work', 'eas.syncKey.20')).toBeUndefined();
  });

  it('daemon restart: a change made while down is announced once, nothing is announced twice', async () => {
    const store = new MemoryStore();
    const a = await open({ store });
    await pingParked(a);
    a.server.addMail('alice', { subject: 'live', from: 'a@b' });
    await waitFor(() => a.signals[0], 'live');
    await pingParked(a);
    await a.watcher.stop();
    a.server.addMail('alice', { subject: 'while down', from: 'a@b' });
    const b = await open({ store, reuseServer: a.server });
    await pingParked(b);
    expect(b.signals.map((s) => s.added.map((i) => i.title))).toEqual([['while down']]);
    await b.watcher.stop();
    const c = await open({ store, reuseServer: a.server });
    await pingParked(c);
    expect(c.signals).toEqual([]);
    expect(store.pending().map((s) => s.added[0]?.title)).toEqual(['live', 'while down']);
  });

  it('crash between the Sync answer and the commit: the replay gives the same signal id, stored once', async () => {
    const store = new MemoryStore();
    const a = await open({ store });
    await pingParked(a);
    const key = store.get<string>('work', 'eas.syncKey.2');
    a.server.addMail('alice', { subject: 'replayed', from: 'a@b' });
    const first = await waitFor(() => a.signals[0], 'first');
    await pingParked(a);
    await a.watcher.stop();
    // Roll the sync key back as if the commit had been lost: the server sees the old key again.
    store.commit('work', { set: { 'eas.syncKey.2': key } });
    const b = await open({ store, reuseServer: a.server });
    await pingParked(b);
    expect(b.signals).toEqual([]);
    expect(store.pending().filter((s) => s.id === first.id)).toHaveLength(1);
    expect(child(sent(b, 'Sync').at(-2)?.body, 'Collections')).toBeDefined();
  });
});

describe('hierarchy and state loss during Sync', () => {
  it('Sync Status 12 (hierarchy changed): FolderSync at once, no back-off, changes keep flowing', async () => {
    const h = await open();
    await pingParked(h);
    const folderSyncs = sent(h, 'FolderSync').length;
    h.server.handlers.Sync = failTimes(1, { body: el('AirSync', 'Sync', el('AirSync', 'Status', 12)) });
    h.server.addMail('alice', { subject: 'one', from: 'a@b' });
    await waitFor(
      () => sent(h, 'FolderSync').length > folderSyncs && h.server.parkedPings > 0,
      'FolderSync again',
    );
    const s = await waitFor(() => h.signals[0], 'signal');
    expect(s.added[0]?.title).toBe('one');
    expect(h.statuses.some((x) => x.state === 'backing-off')).toBe(false);
  });

  it('Status 132 (server lost the sync state): hierarchy restarts from 0, baselines again, nothing announced', async () => {
    const h = await open();
    await pingParked(h);
    h.server.handlers.Sync = failTimes(1, { body: el('AirSync', 'Sync', el('AirSync', 'Status', 132)) });
    h.server.addMail('alice', { subject: 'lost', from: 'a@b' });
    await waitFor(
      () => text(sent(h, 'FolderSync').at(-1)?.body, 'SyncKey') === '0' && sent(h, 'FolderSync').length > 1,
      'restart',
    );
    await pingParked(h);
    expect(h.signals).toEqual([]);
  });
});

describe('crash safety of multi-round bursts', () => {
  it('a baseline interrupted after its first window resumes as a baseline: nothing announced', async () => {
    const h = await open({ start: false });
    for (let i = 0; i < 60; i++) h.server.addMail('alice', { subject: `old${i}`, from: 'a@b' });
    let inboxRounds = 0;
    h.server.handlers.Sync = (req, next) => {
      const c = path(req.body, 'Collections', 'Collection');
      // The third round and its one resend on a fresh connection (net/resend.ts).
      if (text(c, 'CollectionId') === '2' && [3, 4].includes(++inboxRounds)) return { destroy: true };
      return next();
    };
    h.watcher.start();
    await waitFor(() => h.watcher.status().state === 'backing-off', 'the drop mid-baseline');
    expect(h.store.get('work', 'eas.baselining.2')).toBe(true);
    h.timers.fireAll();
    await pingParked(h);
    expect(h.signals).toEqual([]);
    expect(h.store.get('work', 'eas.baselining.2')).toBeUndefined();
    h.server.addMail('alice', { subject: 'news', from: 'a@b' });
    const s = await waitFor(() => h.signals[0], 'signal');
    expect(s.added.map((i) => i.title)).toEqual(['news']);
  });

  it('a burst interrupted after its first window: the committed window is not repeated, the rest follows', async () => {
    const h = await open();
    await pingParked(h);
    let rounds = 0;
    h.server.handlers.Sync = (req, next) => {
      const c = path(req.body, 'Collections', 'Collection');
      // The second round and its one resend on a fresh connection (net/resend.ts).
      if (text(c, 'CollectionId') === '2' && [2, 3].includes(++rounds)) return { destroy: true };
      return next();
    };
    for (let i = 0; i < 40; i++) h.server.addMail('alice', { subject: `m${i}`, from: 'a@b' });
    await waitFor(() => h.watcher.status().state === 'backing-off', 'the drop mid-burst');
    expect(h.signals.map((s) => s.added.length)).toEqual([25]);
    h.timers.fireAll();
    await waitFor(() => h.signals.reduce((n, s) => n + s.added.length, 0) === 40, 'the rest');
    const titles = h.signals.flatMap((s) => s.added.map((i) => i.title));
    expect(new Set(titles).size).toBe(40);
    expect(titles).toHaveLength(40);
  });
});
