import { all, child, el, int, text } from '@tidings/wbxml';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeartbeatState } from '../../src/eas/heartbeat';
import { failTimes, type Harness, harness, pingParked, sent, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pingStatus = (status: number, ...extra: ReturnType<typeof el>[]) => ({
  body: el('Ping', 'Ping', el('Ping', 'Status', status), ...extra),
});
const heartbeatOf = (x: Harness, i: number) => int(sent(x, 'Ping').at(i)?.body, 'HeartbeatInterval');
const pingFolders = (x: Harness, i: number) =>
  all(child(sent(x, 'Ping').at(i)?.body, 'Folders'), 'Folder').map((f) => text(f, 'Id'));

describe('Ping statuses (MS-ASCMD 2.2.3.177.11) and heartbeat learning', () => {
  it('one Ping names every watched folder, Inbox, Calendar, Contacts, Tasks first', async () => {
    h = await harness();
    await pingParked(h);
    expect(pingFolders(h, -1)).toEqual(['2', '8', '9', '7']);
    expect(heartbeatOf(h, -1)).toBe(480);
  });

  it('Status 1 (clean expiry): Pings again with a longer heartbeat, remembered per network', async () => {
    h = await harness({ server: { pingTimeScale: 0.5 } });
    await waitFor(() => h && sent(h, 'Ping').length >= 3, 'three Pings');
    expect(heartbeatOf(h, 0)).toBe(480);
    expect(heartbeatOf(h, 1)).toBe(720);
    expect(heartbeatOf(h, 2)).toBe(960);
    const stored = h.store.get<HeartbeatState>('work', 'eas.heartbeat.default');
    expect(stored?.good).toBeGreaterThanOrEqual(720);
  });

  it('Status 2: one light Sync of the listed folder, then the empty-Ping shortcut', async () => {
    h = await harness();
    await pingParked(h);
    const syncsBefore = sent(h, 'Sync').length;
    h.server.addMail('alice', { subject: 'x', from: 'a@b' });
    await waitFor(() => h?.signals[0], 'signal');
    await waitFor(() => h && h.server.parkedPings > 0 && sent(h, 'Ping').length === 2, 'second Ping');
    expect(sent(h, 'Ping')[1]?.body).toBeUndefined();
    // One Sync, no confirming one: this server's Ping compares with the key it handed out.
    const syncs = sent(h, 'Sync').slice(syncsBefore);
    expect(syncs.map((r) => text(child(child(r.body, 'Collections'), 'Collection'), 'CollectionId'))).toEqual(
      ['2'],
    );
    expect(h.store.get('work', 'eas.confirmSync')).toBeUndefined();
  });

  it('a server whose Ping compares with the last key used (SOGo) is learned: a confirming Sync from then on', async () => {
    h = await harness({ server: { pingComparesUsedKey: true } });
    await pingParked(h);
    const syncIds = () =>
      sent(h!, 'Sync').map((r) => text(child(child(r.body, 'Collections'), 'Collection'), 'CollectionId'));
    let from = syncIds().length;
    h.server.addMail('alice', { subject: 'first', from: 'a@b' });
    await waitFor(() => h?.signals[0], 'first signal');
    // The next Ping still sees the folder changed; its Sync finds nothing and teaches the watcher.
    await waitFor(() => h?.store.get('work', 'eas.confirmSync') === true, 'confirmSync learned');
    await waitFor(() => h && h.server.parkedPings > 0, 'Ping parked again');
    expect(syncIds().slice(from)).toEqual(['2', '2']);
    expect(h.signals).toHaveLength(1);
    from = syncIds().length;
    const pings = sent(h, 'Ping').length;
    h.server.addMail('alice', { subject: 'second', from: 'a@b' });
    await waitFor(() => h?.signals[1], 'second signal');
    await waitFor(() => h && h.server.parkedPings > 0 && sent(h, 'Ping').length === pings + 1, 'one Ping');
    // Now the change and its confirmation, and the Ping that follows stays parked.
    expect(syncIds().slice(from)).toEqual(['2', '2']);
    expect(h.signals.map((s) => s.added.map((i) => i.title))).toEqual([['first'], ['second']]);
  });

  it('Status 3 on an empty Ping: resends the full request', async () => {
    h = await harness();
    await pingParked(h);
    h.server.handlers.Ping = (req, next) => (req.body ? next() : pingStatus(3));
    h.server.addMail('alice', { subject: 'x', from: 'a@b' });
    await waitFor(() => h && sent(h, 'Ping').length >= 3 && h.server.parkedPings > 0, 'full Ping again');
    const [, empty, full] = sent(h, 'Ping');
    expect(empty?.body).toBeUndefined();
    expect(int(full?.body, 'HeartbeatInterval')).toBe(480);
  });

  it('Status 4: reported as an error and backed off', async () => {
    h = await harness({ start: false });
    h.server.handlers.Ping = failTimes(1, pingStatus(4));
    h.watcher.start();
    const st = await waitFor(
      () => h?.watcher.status().state === 'backing-off' && h.watcher.status(),
      'back-off',
    );
    expect(st.lastError).toEqual({
      code: 'EAS_ERR_STATUS',
      message: expect.stringMatching(/malformed \(Status 4\)/),
    });
    h.timers.fireAll();
    await pingParked(h);
  });

  it("Status 5: adopts the server's heartbeat bound", async () => {
    h = await harness({ server: { maxHeartbeat: 300 } });
    await pingParked(h);
    expect(heartbeatOf(h, 0)).toBe(480);
    expect(heartbeatOf(h, -1)).toBe(300);
    expect(h.store.get<HeartbeatState>('work', 'eas.heartbeat.default')?.serverMax).toBe(300);
  });

  it('Status 6: trims to MaxFolders by priority Inbox, Calendar, Contacts', async () => {
    h = await harness({ server: { maxFolders: 2 } });
    await pingParked(h);
    expect(pingFolders(h, 0)).toHaveLength(4);
    expect(pingFolders(h, -1)).toEqual(['2', '8']);
    expect(h.store.get('work', 'eas.maxFolders')).toBe(2);
  });

  it('Status 7: FolderSync, then Ping; a renamed folder is followed', async () => {
    h = await harness();
    await pingParked(h);
    const folderSyncs = sent(h, 'FolderSync').length;
    h.server.renameFolder('alice', '8', 'Team calendar');
    await waitFor(
      () => h && sent(h, 'FolderSync').length > folderSyncs && h.server.parkedPings > 0,
      'FolderSync',
    );
    h.server.addEvent('alice', { subject: 'e', start: '2026-12-01T10:00:00Z' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.folder).toEqual({ id: '8', name: 'Team calendar' });
  });

  it('Status 8: backs off as a server error', async () => {
    h = await harness({ start: false });
    h.server.handlers.Ping = failTimes(1, pingStatus(8));
    h.watcher.start();
    const st = await waitFor(
      () => h?.watcher.status().state === 'backing-off' && h.watcher.status(),
      'back-off',
    );
    expect(st.lastError?.code).toBe('EAS_ERR_SERVER');
  });

  it('a Ping cut at a chosen second (NAT): the heartbeat shrinks under the observed lifetime', async () => {
    h = await harness({ start: false });
    h.server.cutPingAfter(0.3);
    h.watcher.start();
    await waitFor(() => h && sent(h, 'Ping').filter((r) => r.pingOutcome === 'cut').length >= 1, 'a cut');
    h.server.cutPingAfter(undefined);
    await waitFor(() => h && h.server.parkedPings > 0 && sent(h, 'Ping').length >= 2, 'Ping after the cut');
    expect(heartbeatOf(h, 0)).toBe(480);
    expect(heartbeatOf(h, 1)).toBe(60);
    expect(h.store.get<HeartbeatState>('work', 'eas.heartbeat.default')?.bad).toBeLessThan(480);
    expect(h.watcher.status().state).toBe('waiting');
  });

  it('repeated cuts end in back-off rather than a tight loop', async () => {
    h = await harness({ start: false });
    h.server.cutPingAfter(0.05);
    h.watcher.start();
    const st = await waitFor(
      () => h?.watcher.status().state === 'backing-off' && h.watcher.status(),
      'back-off',
    );
    expect(st.lastError?.code).toBe('EAS_ERR_NETWORK');
    expect(sent(h, 'Ping').filter((r) => r.pingOutcome === 'cut')).toHaveLength(3);
  });

  it('learned heartbeats are kept per network; wake("network") re-learns from the stored value', async () => {
    let network = 'home';
    h = await harness({ server: { pingTimeScale: 0.5 }, deps: { networkKey: () => network } });
    await waitFor(() => h && sent(h, 'Ping').length >= 2, 'growth at home');
    network = 'office';
    h.watcher.wake?.('network');
    await waitFor(
      () => h?.store.get<HeartbeatState>('work', 'eas.heartbeat.office') !== undefined,
      'office heartbeat stored',
    );
    const home = h.store.get<HeartbeatState>('work', 'eas.heartbeat.home');
    expect(home?.good).toBeGreaterThanOrEqual(480);
    const firstOffice = sent(h, 'Ping').find((r, i) => i > 0 && int(r.body, 'HeartbeatInterval') === 480);
    expect(firstOffice).toBeDefined();
  });
});

describe('resume from sleep', () => {
  it('wake("resume") aborts the Ping and re-probes: the learned bracket no longer caps growth', async () => {
    h = await harness({ start: false, server: { pingTimeScale: 0.3 } });
    h.store.commit('work', { set: { 'eas.heartbeat.default': { current: 900, good: 900, bad: 1200 } } });
    h.watcher.start();
    await waitFor(() => h && sent(h, 'Ping').length >= 3, 'bisecting inside the bracket');
    const before = sent(h, 'Ping').map((r) => int(r.body, 'HeartbeatInterval') ?? 0);
    expect(before.slice(0, 3)).toEqual([900, 1050, 1125]);
    expect(Math.max(...before)).toBeLessThan(1200);
    h.watcher.wake?.('resume');
    await waitFor(
      () => h && sent(h, 'Ping').some((r) => (int(r.body, 'HeartbeatInterval') ?? 0) > 1200),
      'growth past 1200',
    );
    expect(h.store.get<HeartbeatState>('work', 'eas.heartbeat.default')?.bad).toBeUndefined();
  });
});
