import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../daemon/src/ipc/protocol';
import { startIpcServer } from '../../daemon/src/ipc/server';
import { sampleAccount, sampleStatus, silentLog, tempDir, testHandlers } from '../../daemon/test/ipc/helpers';
import { DaemonConnection } from '../src/main/daemon-connection';
import { trayModel } from '../src/main/tray-model';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The daemon's own IPC server with fixed answers: the tray's side of status deltas, fast and exact.
describe('DaemonConnection: status deltas', () => {
  it('starts from the subscribe snapshot and merges every delta into the account list the tray model shows', async () => {
    const t = tempDir('tidings-tray-delta-');
    cleanups.push(t.cleanup);
    const snapshot: DaemonStatus = { ...sampleStatus(), accounts: [sampleAccount('a'), sampleAccount('b')] };
    const server = await startIpcServer({
      path: join(t.dir, 'run', 'tidings.sock'),
      log: silentLog,
      version: '9.9.9',
      handlers: { ...testHandlers(), status: () => snapshot },
    });
    cleanups.push(() => server.close());
    const conn = new DaemonConnection({ socketPath: server.path, backoff: { baseMs: 50, capMs: 100 } });
    cleanups.push(() => conn.stop());
    const pushed: DaemonStatus[] = [];
    conn.onStatus((s) => pushed.push(s));
    conn.start();
    await until(() => conn.state.state === 'connected', 'the connection');
    expect(conn.status).toEqual(snapshot);
    const model = (daemon = conn.status) =>
      trayModel({
        connection: conn.state,
        daemon,
        now: new Date(0),
        theme: 'light',
        platform: 'linux',
        openAtLogin: false,
      });
    expect(model().state).toBe('quiet');

    // a has news, b is gone, c was added and wants a password.
    server.broadcastStatusDelta({
      accounts: [{ ...sampleAccount('a'), unseen: 3 }, sampleAccount('c', 'needs-credentials')],
      removed: ['b'],
    });
    await until(() => pushed.length === 2, 'the merged status');
    expect(conn.status?.accounts).toEqual([
      { ...sampleAccount('a'), unseen: 3 },
      sampleAccount('c', 'needs-credentials'),
    ]);
    expect(model().state).toBe('attention');
    expect(model().tooltip).toContain('3 new');

    // Only the daemon-wide part: the accounts stay as merged.
    const { accounts: _, ...header } = snapshot;
    server.broadcastStatusDelta({ daemon: { ...header, pausedUntil: new Date(3_600_000).toISOString() } });
    await until(() => pushed.length === 3, 'the pause');
    expect(conn.status?.pausedUntil).toBe(new Date(3_600_000).toISOString());
    expect(conn.status?.accounts.map((a) => a.id)).toEqual(['a', 'c']);
    expect(pushed[0]).toEqual(snapshot); // each push is a new object: earlier ones are not mutated
  });
});
