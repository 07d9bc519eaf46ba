/**
 * The daemon's start as setup steps with a disposer stack (issue 13 §5): one account's fault is
 * that account's status while the others run, and a start that fails half-way leaves nothing
 * running — no socket, no timer, no server, the state store closed.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEasServer } from '@tidings/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon';
import { DisposerStack } from '../../src/setup/disposers';
import { SqliteStore } from '../../src/store/sqlite-store';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('DisposerStack', () => {
  it('undoes the latest step first, goes on past a failing one, and runs once', async () => {
    const { log, lines } = capturingLog('error');
    const stack = new DisposerStack(log);
    const ran: string[] = [];
    stack.defer('store', () => void ran.push('store'));
    stack.defer('ipc', async () => {
      ran.push('ipc');
      throw new Error('socket gone');
    });
    expect(stack.use('sinks', { value: 42, dispose: () => void ran.push('sinks') })).toBe(42);
    expect(stack.pending).toEqual(['sinks', 'ipc', 'store']);
    await Promise.all([stack.dispose(), stack.dispose()]);
    await stack.dispose();
    expect(ran).toEqual(['sinks', 'ipc', 'store']);
    expect(lines.join('')).toContain('stopping ipc failed');
    expect(() => stack.defer('late', () => {})).toThrow(
      expect.objectContaining({ code: 'DAEMON_ERR_STOPPING' }),
    );
  });
});

describe("one account's fault is that account's", () => {
  it('an account whose tls.ca cannot be read shows error with the reason; the accounts after it run', async () => {
    const eas = await startEasServer({ pingTimeScale: 5, users: { alice: 'pw-a', bob: 'pw-b' } });
    cleanups.push(() => eas.close());
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const missing = join(dirs.root, 'no-such-ca.pem');
    const exchange = (id: string, user: string, extra: object = {}) => ({
      id,
      kind: 'exchange',
      email: `${user}@example.com`,
      username: user,
      url: eas.url,
      auth: { type: 'basic', secret: { env: `PW_${user.toUpperCase()}` } },
      ...extra,
    });
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          exchange('first', 'alice', { tls: { ca: missing } }),
          exchange('second', 'alice'),
          exchange('third', 'bob'),
        ],
      }),
    );
    const { log, lines } = capturingLog('error');
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log,
      desktop: false,
      wakeMonitor: false,
      secrets: { env: { PW_ALICE: 'pw-a', PW_BOB: 'pw-b' } },
    });
    cleanups.push(() => d.stop());
    await until(
      () => d.status().accounts.filter((a) => a.status.state === 'waiting').length === 2,
      'accounts 2 and 3 waiting',
    );
    const [first, second, third] = d.status().accounts;
    expect(first).toMatchObject({ id: 'first', enabled: true, status: { state: 'error' } });
    expect(first!.status.detail).toContain(`tls.ca: cannot read ${missing}`);
    expect(first!.status.lastError).toMatchObject({ code: 'NET_ERR_TLS_FILE' });
    expect(second!.status.state).toBe('waiting');
    expect(third!.status.state).toBe('waiting');
    expect(lines.join('')).toContain('account cannot start');

    // Fixed in the file and reloaded: the account starts; the others are not restarted.
    writeFileSync(missing, '');
    const before = eas.requests.length;
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [exchange('first', 'alice'), exchange('second', 'alice'), exchange('third', 'bob')],
      }),
    );
    await d.reload();
    await until(() => d.status().accounts[0]!.status.state === 'waiting', 'the fixed account waiting');
    expect(
      eas.requests.slice(before).some((r) => r.command === 'Provision' || r.command === 'FolderSync'),
    ).toBe(true);
  });
});

describe('a start that fails half-way', () => {
  /**
   * Listening servers: what a half-started daemon leaves open (the demo's HTTP server, the IPC
   * socket). Client sockets of earlier tests may still be closing, so they are not counted.
   */
  const openHandles = () =>
    process
      .getActiveResourcesInfo()
      .filter((r) => r === 'TCPServerWrap' || r === 'PipeServerWrap')
      .sort();

  it('an unusable IPC socket path tears down what started before it: demo server, store, hub', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    // A regular file where the socket's directory should be.
    mkdirSync(join(dirs.root, 'run-parent'));
    const blocker = join(dirs.root, 'run-parent', 'file');
    writeFileSync(blocker, 'not a directory');
    const baseline = openHandles();
    const { log, lines } = capturingLog('info');
    await expect(
      startDaemon({
        configPath: dirs.configPath, // absent: the demo (its own HTTP server) starts first
        stateDir: dirs.stateDir,
        ipcPath: join(blocker, 'tidings.sock'),
        log,
        desktop: false,
        wakeMonitor: false,
        handleSignals: true,
      }),
    ).rejects.toThrow();
    expect(lines.join('')).toContain('DEMO MODE'); // it did get as far as the demo
    // Nothing is left: no demo server, no socket, no SIGTERM handler, and the store is closed
    // (a second exclusive open of state.db succeeds and commits).
    expect(openHandles()).toEqual(baseline);
    expect(process.listenerCount('SIGHUP')).toBe(0);
    const again = SqliteStore.open({ path: join(dirs.stateDir, 'state.db'), lockWaitMs: 200 });
    again.commit('x', { set: { k: 1 } });
    expect(again.get('x', 'k')).toBe(1);
    again.close();
  });

  it('a step after IPC failing (the wake monitor cannot read the network) closes IPC, the demo and the store', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const baseline = openHandles();
    await expect(
      startDaemon({
        configPath: dirs.configPath,
        stateDir: dirs.stateDir,
        ipcPath: dirs.ipcPath,
        log: capturingLog('fatal').log,
        desktop: false,
        handleSignals: true,
        wakeMonitor: {
          readKey: () => {
            throw new Error('no network interfaces readable');
          },
        },
      }),
    ).rejects.toThrow('no network interfaces readable');
    expect(existsSync(dirs.ipcPath)).toBe(false);
    expect(openHandles()).toEqual(baseline);
    expect(process.listenerCount('SIGTERM')).toBe(0);
    const again = SqliteStore.open({ path: join(dirs.stateDir, 'state.db'), lockWaitMs: 200 });
    again.commit('x', { set: { k: 1 } });
    again.close();
  });

  it('control: while a daemon runs, its store cannot be opened a second time', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('fatal').log,
      desktop: false,
      wakeMonitor: false,
      demo: { intervalMs: 60_000 },
    });
    cleanups.push(() => d.stop());
    expect(() => {
      const s = SqliteStore.open({ path: join(dirs.stateDir, 'state.db'), lockWaitMs: 200 });
      s.commit('x', { set: { k: 1 } });
      s.close();
    }).toThrow();
  });
});
