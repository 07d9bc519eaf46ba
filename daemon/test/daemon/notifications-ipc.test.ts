import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type WatcherFactory } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { IpcError } from '../../src/ipc/errors';
import { IpcErrorCode } from '../../src/ipc/protocol';
import type { Watcher } from '../../src/watch/types';
import { capturingLog, daemonDirs } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Watchers that sit still: this file is about the IPC surface, not the protocols. */
const idle: WatcherFactory = (account): Watcher => ({
  accountId: account.id,
  start() {},
  async stop() {},
  wake() {},
  status: () => ({ state: 'waiting', since: new Date(0).toISOString() }),
});

async function daemonWith(config: unknown) {
  const dirs = daemonDirs();
  cleanups.push(dirs.cleanup);
  writeFileSync(dirs.configPath, `${JSON.stringify(config, null, 2)}\n`);
  const d = await startDaemon({
    configPath: dirs.configPath,
    stateDir: dirs.stateDir,
    ipcPath: dirs.ipcPath,
    log: capturingLog('fatal').log,
    desktop: false,
    watcherFactory: idle,
  });
  cleanups.push(() => d.stop());
  const c = await connect(d.ipcPath, { client: 'test' });
  cleanups.push(() => c.close());
  return { d, c, configPath: dirs.configPath };
}

const ACCOUNTS = [
  {
    id: 'basic',
    kind: 'exchange',
    email: 'a@example.com',
    url: 'https://mail.example.com/Microsoft-Server-ActiveSync',
  },
  {
    id: 'o365',
    kind: 'exchange',
    email: 'b@contoso.example',
    url: 'https://outlook.office365.com/Microsoft-Server-ActiveSync',
    auth: { type: 'oauth2', clientId: 'client-1' },
  },
  { id: 'cal', kind: 'caldav', url: 'https://dav.example.com/', username: 'c' },
];

describe('IPC: account auth kind and notification settings', () => {
  it('accounts.list says how each account signs in', async () => {
    const { c } = await daemonWith({ accounts: ACCOUNTS });
    const list = await c.call('accounts.list', {});
    expect(list.map((a) => [a.id, a.auth])).toEqual([
      ['basic', 'basic'],
      ['o365', 'oauth2'],
      ['cal', 'basic'],
    ]);
  });

  it('notifications.set validates, writes the file atomically keeping the rest, and applies it', async () => {
    const { d, c, configPath } = await daemonWith({
      $comment: 'kept',
      logLevel: 'warn',
      accounts: ACCOUNTS,
      notifications: { coalesceMs: 500, sinks: { exec: [{ name: 'hook', command: ['true'] }] } },
    });
    const before = await c.call('notifications.get', {});
    expect(before).toMatchObject({ coalesceMs: 500, rules: [] });
    expect(before).not.toHaveProperty('sinks');

    const rules = [{ folder: 'Newsletters', mute: true }];
    const after = await c.call('notifications.set', {
      rules,
      quietHours: { start: '22:00', end: '07:00', during: 'hold' },
    } as never);
    expect(after.rules).toEqual(rules);
    expect(after.quietHours).toMatchObject({ start: '22:00', end: '07:00' });
    const onDisk = JSON.parse(readFileSync(configPath, 'utf8'));
    expect(onDisk.$comment).toBe('kept');
    expect(onDisk.logLevel).toBe('warn');
    expect(onDisk.notifications).toMatchObject({
      coalesceMs: 500,
      rules,
      sinks: { exec: [{ name: 'hook' }] },
    });
    expect(d.status().quietHours).toMatchObject({ start: '22:00', end: '07:00' });

    const err = (await c
      .call('notifications.set', { quietHours: { start: '08:00', end: '08:00' } } as never)
      .catch((e: unknown) => e)) as IpcError;
    expect(err.rpcCode).toBe(IpcErrorCode.INVALID_CONFIG);
    expect(JSON.stringify(err.data)).toContain('notifications.quietHours');
    expect(JSON.parse(readFileSync(configPath, 'utf8')).notifications.quietHours.end).toBe('07:00');

    const cleared = await c.call('notifications.set', { quietHours: null });
    expect(cleared.quietHours).toBeUndefined();
    expect(d.status().quietHours).toBeUndefined();
    expect(JSON.parse(readFileSync(configPath, 'utf8')).notifications).not.toHaveProperty('quietHours');
  });
});
