import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors';
import { accountSchema } from '../../src/config/account';
import {
  defaultWatcherFactory,
  type RunningDaemon,
  startDaemon,
  type WatcherFactory,
} from '../../src/daemon';
import { connect, type IpcClient } from '../../src/ipc/client';
import type { IpcError } from '../../src/ipc/errors';
import { IpcErrorCode } from '../../src/ipc/protocol';
import type { ChangeSignal } from '../../src/signal';
import type { Watcher, WatcherStatus } from '../../src/watch/types';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(d: RunningDaemon, name = 'test'): Promise<IpcClient> {
  const c = await connect(d.ipcPath, { client: name });
  cleanups.push(() => c.close());
  return c;
}

describe('demo mode (no config file)', () => {
  it('runs the bundled EAS server and delivers a mail, an event and a contact through the real watcher', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const printed: string[] = [];
    const { log, lines } = capturingLog('info');
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log,
      demo: { intervalMs: 150 },
      out: (t) => printed.push(t),
      desktop: false,
    });
    cleanups.push(() => d.stop());
    expect(lines.join('')).toContain('DEMO MODE');
    expect(lines.join('')).toContain('tidings account add');
    const c = await client(d);
    const signals: ChangeSignal[] = [];
    c.onSignal((s) => signals.push(s));
    await c.subscribe();
    await until(
      () => new Set(signals.map((s) => s.collection)).size === 3,
      'mail, event and contact signals',
    );
    const byCollection = Object.fromEntries(signals.map((s) => [s.collection, s]));
    expect(byCollection.mail?.accountId).toBe('demo');
    expect(byCollection.mail?.added[0]?.from).toMatch(/@example\.org>$/);
    expect(byCollection.calendar?.added[0]?.title).toBeTruthy();
    expect(byCollection.contacts?.added[0]?.title).toBeTruthy();
    const status = await c.call('status', {});
    expect(status.demo).toBe(true);
    expect(status.accounts[0]).toMatchObject({ id: 'demo', kind: 'exchange' });
    expect(status.accounts[0]!.unseen).toBeGreaterThan(0);
    // The one command shows something real: every signal also printed readably.
    await until(() => printed.length > 0, 'printed signals');
    expect(printed.join('\n')).toMatch(/demo (Inbox|Calendar|Contacts): \d+ new/);
  });

  it('adding a real account writes the config file and ends the demo', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const events: string[] = [];
    const fake = recordingFactory(events);
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      demo: { intervalMs: 60_000 },
      desktop: false,
      watcherFactory: (a, ctx) => (a.id === 'demo' ? defaultWatcherFactory()(a, ctx) : fake(a, ctx)),
    });
    cleanups.push(() => d.stop());
    const c = await client(d);
    expect((await c.call('status', {})).demo).toBe(true);
    const added = await c.call('accounts.add', { account: accountSchema().parse(acct('real')) });
    expect(added.id).toBe('real');
    const status = await c.call('status', {});
    expect(status.demo).toBe(false);
    expect(status.accounts.map((a) => a.id)).toEqual(['real']);
    expect(JSON.parse(readFileSync(dirs.configPath, 'utf8')).accounts[0].id).toBe('real');
    expect(d.demo).toBeUndefined();
  });

  it('with demo: false, a missing config file is an error naming the file', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const err = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog().log,
      demo: false,
    }).catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('CONFIG_ERR_NOT_FOUND');
    expect((err as ConfigError).message).toContain(dirs.configPath);
  });
});

/** A watcher double that records starts and stops (the real ones are tested in daemon/test/watch). */
function recordingFactory(events: string[]): WatcherFactory {
  return (account, ctx) => {
    let status: WatcherStatus = { state: 'stopped', since: new Date().toISOString() };
    const w: Watcher = {
      accountId: account.id,
      start() {
        events.push(`start ${account.id}`);
        status = {
          state: 'waiting',
          since: new Date().toISOString(),
          detail: `watching as ${JSON.stringify(account.name ?? '')}`,
        };
        ctx.setStatus(status);
      },
      async stop() {
        events.push(`stop ${account.id}`);
      },
      status: () => status,
      async check() {
        events.push(`check ${account.id}`);
      },
    };
    return w;
  };
}

const acct = (id: string, name = id) => ({
  id,
  name,
  kind: 'caldav',
  url: 'https://dav.invalid/',
  username: 'u',
  secret: { env: 'X' },
});

describe('desktop sink and the tray', () => {
  it('posts desktop notifications, and none while a tray is subscribed (never twice)', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const posted: Record<string, unknown>[] = [];
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      demo: { intervalMs: 100 },
      desktop: {
        notify(n, cb) {
          posted.push(n);
          cb(null);
        },
      },
    });
    cleanups.push(() => d.stop());
    await until(() => posted.length > 0, 'a desktop notification');
    expect(String(posted[0]?.title)).toBeTruthy();
    const tray = await client(d, 'tray');
    const traySignals: ChangeSignal[] = [];
    tray.onSignal((s) => traySignals.push(s));
    await tray.subscribe();
    const before = posted.length;
    await until(() => traySignals.length >= 3, 'signals to the tray');
    // At most one notification may have been in flight when the tray subscribed.
    expect(posted.length - before).toBeLessThanOrEqual(1);
    tray.close();
    await until(() => posted.length > before + 1, 'notifications again once the tray left');
  });
});

describe('configured sinks', () => {
  it('runs an exec hook from notifications.sinks with the committed signal as JSON on stdin', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const out = join(dirs.root, 'hook.out');
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [acct('a')],
        notifications: {
          coalesceMs: 0,
          sinks: {
            desktop: { enabled: false },
            exec: [{ name: 'log', command: ['/bin/sh', '-c', `cat >> '${out}'`] }],
          },
        },
      }),
    );
    const factory: WatcherFactory = (account, ctx) => ({
      accountId: account.id,
      start() {
        const signal: ChangeSignal = {
          id: 'hook-test-1',
          accountId: account.id,
          source: 'caldav',
          collection: 'calendar',
          folder: { id: 'c', name: 'Calendar' },
          added: [{ id: 'e1', title: 'Planning' }],
          changed: [],
          removed: [],
          observedAt: new Date().toISOString(),
        };
        ctx.publish(ctx.store.commit(account.id, { signals: [signal] }));
      },
      async stop() {},
      status: () => ({ state: 'waiting', since: new Date().toISOString() }),
    });
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      watcherFactory: factory,
    });
    cleanups.push(() => d.stop());
    await until(
      () => existsSync(out) && readFileSync(out, 'utf8').includes('hook-test-1'),
      'the hook to run',
    );
    expect(JSON.parse(readFileSync(out, 'utf8')).added[0].title).toBe('Planning');
  });
});

describe('config reload', () => {
  it('restarts only changed accounts, and keeps the running config when the file is broken', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a'), acct('b')] }));
    const events: string[] = [];
    const { log, lines } = capturingLog();
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log,
      watcherFactory: recordingFactory(events),
    });
    cleanups.push(() => d.stop());
    expect(events).toEqual(['start a', 'start b']);
    events.length = 0;

    writeFileSync(
      dirs.configPath,
      JSON.stringify({ accounts: [acct('a'), acct('b', 'renamed'), acct('c')] }),
    );
    const c = await client(d);
    expect(await c.call('reload', {})).toEqual({ ok: true, accounts: 3 });
    expect(events).toEqual(['stop b', 'start b', 'start c']);
    events.length = 0;

    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a'), { ...acct('b'), url: '' }] }));
    const err = (await c.call('reload', {}).catch((e: unknown) => e)) as IpcError;
    expect(err.rpcCode).toBe(IpcErrorCode.INVALID_CONFIG);
    expect(err.message).toContain(dirs.configPath);
    expect(err.message).toContain('accounts[1].url');
    expect(events).toEqual([]); // nothing stopped
    expect((await c.call('accounts.list', {})).map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(lines.join('')).toContain('reload refused, keeping the running config');

    const direct = await d.reload().catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(ConfigError);
  });

  it('SIGHUP reloads when the daemon handles signals', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a')] }));
    const events: string[] = [];
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog().log,
      watcherFactory: recordingFactory(events),
      handleSignals: true,
    });
    cleanups.push(() => d.stop());
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a'), acct('z')] }));
    process.kill(process.pid, 'SIGHUP');
    await until(() => events.includes('start z'), 'the SIGHUP reload');
    expect(d.status().accounts.map((a) => a.id)).toEqual(['a', 'z']);
  });
});

describe('IPC calls', () => {
  it('check asks the watcher of every account, or the one named, to look now (Watcher.check)', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          acct('a'),
          {
            id: 'ex',
            kind: 'exchange',
            email: 'e@example.test',
            url: 'https://eas.invalid/',
            auth: { type: 'basic', secret: { env: 'X' } },
          },
        ],
      }),
    );
    const events: string[] = [];
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog().log,
      watcherFactory: recordingFactory(events),
    });
    cleanups.push(() => d.stop());
    const c = await client(d);
    events.length = 0;
    expect(await c.call('check', {})).toEqual({ checking: ['a', 'ex'] });
    expect(events).toEqual(['check a', 'check ex']);
    events.length = 0;
    expect(await c.call('check', { accountId: 'ex' })).toEqual({ checking: ['ex'] });
    expect(events).toEqual(['check ex']);
  });

  it('pause/resume, markSeen, unknown account, shutdown closes everything', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(dirs.configPath, JSON.stringify({ accounts: [acct('a')] }));
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog().log,
      watcherFactory: recordingFactory([]),
    });
    cleanups.push(() => d.stop());
    const c = await client(d);
    const p = await c.call('pause', { minutes: 30 });
    expect(Date.parse(p.pausedUntil)).toBeGreaterThan(Date.now());
    expect((await c.call('status', {})).pausedUntil).toBe(p.pausedUntil);
    await c.call('resume', {});
    expect((await c.call('status', {})).pausedUntil).toBeUndefined();
    const bad = (await c.call('markSeen', { accountId: 'nope' }).catch((e: unknown) => e)) as IpcError;
    expect(bad.rpcCode).toBe(IpcErrorCode.NO_SUCH_ACCOUNT);
    const tooLong = (await c.call('pause', { minutes: 60 * 24 * 30 }).catch((e: unknown) => e)) as IpcError;
    expect(tooLong.rpcCode).toBe(IpcErrorCode.OPERATION_FAILED);
    expect((tooLong.data as { code: string }).code).toBe('HUB_ERR_PAUSE_INVALID');
    expect(await c.call('shutdown', {})).toEqual({ ok: true });
    await d.stopped;
    expect(existsSync(dirs.ipcPath)).toBe(false);
  });
});
