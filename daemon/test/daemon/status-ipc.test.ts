import { writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type WatcherFactory } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import { IPC_PROTOCOL_VERSION } from '../../src/ipc/protocol';
import type { WatcherContext, WatcherStatus } from '../../src/watch/types';
import { RawClient, type WireFrame } from '../ipc/helpers';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const acct = (id: string) => ({
  id,
  kind: 'caldav',
  url: 'https://dav.invalid/',
  username: 'u',
  secret: { env: 'X' },
});

const since = new Date(0).toISOString();

/** Watchers the test drives: each reports `waiting` at start, then whatever `set` says. */
function drivenFactory(contexts: Map<string, WatcherContext>): WatcherFactory {
  return (account, ctx) => {
    let status: WatcherStatus = { state: 'waiting', since, detail: 'started' };
    contexts.set(account.id, {
      ...ctx,
      setStatus: (s) => {
        status = s;
        ctx.setStatus(s);
      },
    });
    return {
      accountId: account.id,
      start: () => ctx.setStatus(status),
      stop: async () => {},
      status: () => status,
    };
  };
}

/** The next `status.changed` notification's params, skipping signals. */
async function nextDelta(c: RawClient): Promise<WireFrame> {
  for (;;) {
    const f = await c.next();
    if (f.method === 'status.changed') return f.params;
  }
}

describe('status over IPC: a snapshot, then deltas', () => {
  it('sends the full status on subscribe, then only what changed: coalesced bursts, pause, added and removed accounts', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a'), acct('b'), acct('c')] }));
    const contexts = new Map<string, WatcherContext>();
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      watcherFactory: drivenFactory(contexts),
      desktop: false,
    });
    cleanups.push(() => d.stop());
    // The typed client the CLI and tray use: it must end up with exactly the daemon's status.
    const client = await connect(d.ipcPath);
    cleanups.push(() => client.close());
    await client.subscribe();

    const c = new RawClient(d.ipcPath);
    cleanups.push(() => c.close());
    await c.call('hello', { protocol: IPC_PROTOCOL_VERSION, client: 'test' }, 0);
    const snapshot = await c.call('subscribe', {}, 1);
    expect(snapshot.method).toBe('status');
    expect(snapshot.params).toEqual(JSON.parse(JSON.stringify(d.status())));
    expect(snapshot.params.accounts.map((a: WireFrame) => a.id)).toEqual(['a', 'b', 'c']);
    // The cursor: the feed is empty yet, so a reconnect would resume from its start.
    expect((await c.next()).result).toEqual({ subscribed: true, cursor: '^start' });

    const set = (id: string, detail: string) =>
      contexts.get(id)!.setStatus({ state: 'waiting', since, detail });
    // Startup marked every account: a marker on b says when that delta has gone out.
    set('b', 'marker');
    while ((await nextDelta(c)).accounts?.find((a: WireFrame) => a.id === 'b')?.status.detail !== 'marker');

    // A burst on one account: one delta, with only that account, in its last state.
    for (let i = 1; i <= 20; i++) set('a', `burst ${i}`);
    expect(await nextDelta(c)).toEqual({ accounts: [JSON.parse(JSON.stringify(d.status().accounts[0]))] });
    expect(d.status().accounts[0]?.status.detail).toBe('burst 20');

    // A daemon-wide change: the daemon part alone.
    const { pausedUntil } = await client.call('pause', { minutes: 30 });
    const paused = await nextDelta(c);
    expect(Object.keys(paused)).toEqual(['daemon']);
    expect(paused.daemon).toMatchObject({ pausedUntil, demo: false });
    expect(paused.daemon.accounts).toBeUndefined();

    // A reload that adds d and removes c.
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a'), acct('b'), acct('d')] }));
    await client.call('reload', {});
    const reloaded = await nextDelta(c);
    expect(reloaded.removed).toEqual(['c']);
    expect(reloaded.accounts.map((a: WireFrame) => a.id)).toEqual(['d']);

    await client.call('resume', {});
    expect(Object.keys(await nextDelta(c))).toEqual(['daemon']);
    await until(
      () => isDeepStrictEqual(client.status, d.status()),
      'the client status merged to the daemon one',
    );
    expect(client.status?.accounts.map((a) => a.id)).toEqual(['a', 'b', 'd']);
    expect(client.status?.pausedUntil).toBeUndefined();
  });
});
