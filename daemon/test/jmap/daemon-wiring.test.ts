import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type JmapFixture, startJmapFixture } from '../../../fixtures/src/jmap-server';
import { startDaemon } from '../../src/daemon';
import { connect, type IpcClient } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { capturingLog, daemonDirs, until } from '../daemon/helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemonWith(accounts: Record<string, unknown>[]) {
  const dirs = daemonDirs();
  cleanups.push(dirs.cleanup);
  writeFileSync(dirs.configPath, JSON.stringify({ accounts }));
  const d = await startDaemon({
    configPath: dirs.configPath,
    stateDir: dirs.stateDir,
    ipcPath: dirs.ipcPath,
    log: capturingLog('fatal').log,
    desktop: false,
    wakeMonitor: false,
    secrets: { env: { TIDINGS_TEST_JMAP: 'secret' } },
  });
  cleanups.push(() => d.stop());
  const c: IpcClient = await connect(d.ipcPath, { client: 'test' });
  cleanups.push(() => c.close());
  return { d, c, dirs };
}

/** Polls accounts.list until `ok` holds for the account's summary (awaited: no call left in flight). */
async function accountUntil(
  c: IpcClient,
  what: string,
  ok: (a: { status: { state: string; detail?: string } }) => boolean,
): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const [a] = await c.call('accounts.list', {});
    if (a && ok(a)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(a?.status)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const account = (url: string) => ({
  id: 'fm',
  kind: 'jmap',
  url,
  username: 'alice',
  secret: { env: 'TIDINGS_TEST_JMAP' },
});

describe('the daemon with a kind: jmap account', () => {
  let fx: JmapFixture;

  it('starts it through the real watcher factory: status, folders, a pushed mail through the hub', async () => {
    fx = await startJmapFixture();
    cleanups.push(() => fx.close());
    const { c } = await daemonWith([account(fx.url)]);
    const signals: ChangeSignal[] = [];
    c.onSignal((s) => signals.push(s));
    await c.subscribe();
    await accountUntil(c, 'EventSource push open', (a) =>
      /EventSource push open/.test(a.status.detail ?? ''),
    );
    await until(() => fx.openStreams === 1, 'the stream');
    const list = await c.call('accounts.list', {});
    expect(list[0]).toMatchObject({ id: 'fm', kind: 'jmap', name: 'alice', status: { state: 'waiting' } });
    expect(await c.call('folders.list', { accountId: 'fm' })).toEqual([
      { id: 'mb-inbox', name: 'Inbox', collection: 'mail', watched: true },
    ]);
    fx.data.add({ subject: 'through the hub', from: { email: 'bob@example.org' } });
    await until(() => signals.length === 1, 'the signal');
    expect(signals[0]).toMatchObject({
      accountId: 'fm',
      source: 'jmap',
      collection: 'mail',
      added: [{ title: 'through the hub', from: 'bob@example.org' }],
    });
    // items.markRead (the tray's and `tidings mark-read`'s call) reaches the server.
    const id = signals[0]!.added[0]!.id;
    expect(await c.call('items.markRead', { accountId: 'fm', folderId: 'mb-inbox', itemIds: [id] })).toEqual({
      marked: [id],
      failed: [],
    });
    expect(fx.data.emails.get(id)?.keywords.has('$seen')).toBe(true);
  });

  it('a redirect to another origin waits in needs-confirmation until accounts.acceptMove', async () => {
    const moved = await startJmapFixture();
    cleanups.push(() => moved.close());
    fx = await startJmapFixture({ wellKnownRedirect: `${moved.url}/jmap/session` });
    cleanups.push(() => fx.close());
    const { c } = await daemonWith([account(fx.url)]);
    await accountUntil(c, 'needs-confirmation', (a) => a.status.state === 'needs-confirmation');
    expect(moved.requests).toEqual([]);
    expect(await c.call('accounts.acceptMove', { id: 'fm' })).toEqual({
      ok: true,
      url: `${moved.url}/jmap/session`,
    });
    await accountUntil(c, 'waiting on the new server', (a) => a.status.state === 'waiting');
    expect(moved.requests.some((r) => r.path === '/jmap/session')).toBe(true);
  });
});
