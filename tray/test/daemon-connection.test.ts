import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeSignal } from '../../daemon/src/signal';
import type { ConnectionState } from '../src/ipc-contract';
import { DaemonConnection } from '../src/main/daemon-connection';
import { launchDaemon } from '../src/main/daemon-launcher';
import { createHandlers } from '../src/main/handlers';
import { DaemonNotificationConfig } from '../src/main/notification-config';
import { TrayError } from '../src/errors';

// These tests run the REAL daemon (`tidings daemon`, bin/tidings.js) as a child process on a
// socket in a temporary directory, the way the tray starts it.
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'tidings.js');

interface Dirs {
  root: string;
  config: string;
  socket: string;
  env: NodeJS.ProcessEnv;
}

async function dirs(): Promise<Dirs> {
  const root = await mkdtemp(join(tmpdir(), 'tidings-tray-'));
  await mkdir(join(root, 'cfg'));
  // Nothing of the user's leaks in: own HOME and XDG dirs, no session bus (no desktop popups).
  const { DBUS_SESSION_BUS_ADDRESS: _bus, DISPLAY: _display, WAYLAND_DISPLAY: _wl, ...rest } = process.env;
  return {
    root,
    config: join(root, 'cfg', 'config.json'),
    socket: join(root, 'run', 'tidings.sock'),
    env: {
      ...rest,
      HOME: root,
      XDG_CONFIG_HOME: join(root, 'xdg-config'),
      XDG_STATE_HOME: join(root, 'xdg-state'),
      XDG_RUNTIME_DIR: join(root, 'xdg-run'),
      TIDINGS_TEST_SECRET: 'not-a-real-password',
    },
  };
}

/** Resolves when `pred` holds; polls, since the daemon is another process. */
async function until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

// Each test starts a daemon through tsx, which takes seconds on a busy machine: generous limits, no timing asserted.
describe('DaemonConnection against the real daemon', { timeout: 120_000 }, () => {
  let d: Dirs;
  const children: ChildProcess[] = [];
  let conn: DaemonConnection | undefined;

  const start = () => {
    const child = launchDaemon(
      [
        process.execPath,
        BIN,
        'daemon',
        '--config',
        d.config,
        '--state-dir',
        join(d.root, 'state'),
        '--socket',
        d.socket,
      ],
      (err) => {
        throw err;
      },
      d.env,
    );
    children.push(child);
    return child;
  };
  const stopChild = async (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGTERM');
    await exited(child);
  };

  beforeEach(async () => {
    d = await dirs();
  });

  afterEach(async () => {
    conn?.stop();
    conn = undefined;
    for (const child of children.splice(0)) await stopChild(child);
    await rm(d.root, { recursive: true, force: true });
  });

  it('starts the daemon when nothing listens, says hello, reads status and receives signals', async () => {
    const states: ConnectionState[] = [];
    const signals: ChangeSignal[] = [];
    let spawned = 0;
    conn = new DaemonConnection({
      socketPath: d.socket,
      startDaemon: () => {
        spawned++;
        start();
      },
      // Longer than the connect deadline below: a daemon that needs over 30 s to start on a
      // loaded 2-core machine must not be started twice by the default cool-down.
      spawnCooldownMs: 120_000,
      backoff: { baseMs: 100, capMs: 500 },
    });
    conn.onState((s) => states.push(s));
    conn.onSignal((s) => signals.push(s));
    conn.start();

    // Nothing listened at first: the tray said so, and started the daemon once.
    await until(() => states.some((s) => s.state === 'unreachable'), 'the unreachable state');
    const first = states.find((s) => s.state === 'unreachable');
    expect(first).toMatchObject({ reason: 'The daemon is not running' });
    await until(() => conn?.state.state === 'connected', 'the connection', 60_000);
    expect(spawned).toBe(1);

    // No config file: the daemon runs its demo account, and tells us so in status.
    expect(conn.status).toMatchObject({ demo: true, configPath: d.config });
    expect(conn.status?.accounts.map((a) => a.id)).toEqual(['demo']);
    const answer = await conn.call('accounts.list', {});
    expect(answer[0]).toMatchObject({ id: 'demo', kind: 'exchange' });

    // The demo server changes something every 5 s; the subscription delivers it.
    await until(() => signals.length > 0, 'a signal', 40_000);
    expect(signals[0]).toMatchObject({ accountId: 'demo', source: 'eas' });
    expect(['mail', 'calendar', 'contacts']).toContain(signals[0]?.collection);
  });

  it('shows the outage and reconnects with back-off when the daemon restarts', async () => {
    const daemon = start();
    const states: ConnectionState[] = [];
    conn = new DaemonConnection({ socketPath: d.socket, backoff: { baseMs: 100, capMs: 400 } });
    conn.onState((s) => states.push(s));
    conn.start();
    await until(() => conn?.state.state === 'connected', 'the first connection', 60_000);
    const firstStart = conn.status?.startedAt;

    await stopChild(daemon);
    await until(() => conn?.state.state !== 'connected', 'the loss to be noticed');
    expect(conn.status).toBeUndefined(); // a stale status is not shown as current
    await until(() => states.some((s) => s.state === 'unreachable'), 'the unreachable state');
    await expect(conn.call('status', {})).rejects.toMatchObject({ code: 'TRAY_ERR_DAEMON_UNREACHABLE' });

    start();
    await until(() => conn?.state.state === 'connected', 'the reconnection', 60_000);
    expect(conn.status?.startedAt).not.toBe(firstStart);
    expect((await conn.call('status', {})).pid).not.toBe(daemon.pid);
  });

  it('maps daemon errors to coded tray errors and serves the settings handlers', async () => {
    start();
    conn = new DaemonConnection({ socketPath: d.socket, backoff: { baseMs: 100, capMs: 400 } });
    conn.start();
    await until(() => conn?.state.state === 'connected', 'the connection', 60_000);
    const noAccount = await conn.call('folders.list', { accountId: 'nope' }).catch((e: unknown) => e);
    expect(noAccount).toBeInstanceOf(TrayError);
    expect(noAccount).toMatchObject({ code: 'TRAY_ERR_DAEMON', rpcCode: -32003 });
    const bad = await conn.call('pause', { minutes: -5 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'TRAY_ERR_INVALID_INPUT', field: 'minutes' });

    // The settings window's handlers answer with values, never throw across the bridge.
    const handlers = createHandlers({
      daemon: conn,
      notifications: new DaemonNotificationConfig(conn),
      oauthSignIn: async () => {
        throw new TrayError('TRAY_ERR_SIGN_IN', 'not in this test');
      },
    });
    const listed = await handlers['tidings:accounts.list']();
    expect(listed.ok && listed.value.map((a) => a.id)).toEqual(['demo']);
    expect(await handlers['tidings:folders.list']('nope')).toMatchObject({
      ok: false,
      error: { code: 'TRAY_ERR_DAEMON', rpcCode: -32003 },
    });
    const paused = await handlers['tidings:pause']({ minutes: 60 });
    expect(paused.ok && Date.parse(paused.value.pausedUntil)).toBeGreaterThan(Date.now());
    await until(() => conn?.status?.pausedUntil !== undefined, 'the pause in a status push');
    expect(await handlers['tidings:resume']()).toEqual({ ok: true, value: { ok: true } });
    // Issue 13 §2: the channel reaches the daemon's accounts.acceptMove, which refuses when no move waits.
    expect(await handlers['tidings:accounts.acceptMove']('demo')).toMatchObject({
      ok: false,
      error: { code: 'TRAY_ERR_INVALID_INPUT', message: expect.stringMatching(/move/i) },
    });
    expect(await handlers['tidings:accounts.oauthSignIn']('demo')).toMatchObject({
      ok: false,
      error: { code: 'TRAY_ERR_SIGN_IN' },
    });
  });

  it("edits rules and quiet hours in the daemon's config, which the daemon then applies", async () => {
    await writeFile(
      d.config,
      `${JSON.stringify(
        {
          logLevel: 'warn',
          accounts: [
            {
              id: 'cal',
              kind: 'caldav',
              url: 'http://127.0.0.1:9/',
              username: 'u',
              secret: { env: 'TIDINGS_TEST_SECRET' },
            },
          ],
        },
        null,
        2,
      )}\n`,
    );
    start();
    conn = new DaemonConnection({ socketPath: d.socket, backoff: { baseMs: 100, capMs: 400 } });
    conn.start();
    await until(() => conn?.state.state === 'connected', 'the connection', 60_000);
    const settings = new DaemonNotificationConfig(conn);

    expect(await settings.getRules()).toEqual([]);
    const rules = [{ folder: 'Newsletters', mute: true }];
    expect(await settings.setRules(rules)).toEqual(rules);
    const onDisk = JSON.parse(await readFile(d.config, 'utf8'));
    expect(onDisk.notifications.rules).toEqual(rules);
    expect(onDisk.logLevel).toBe('warn'); // the rest of the file is kept as written
    expect(onDisk.accounts[0].id).toBe('cal');

    await settings.setQuietHours({ start: '00:00', end: '23:59', during: 'hold' });
    // Pushed as a status delta too (the daemon-wide part changed).
    await until(() => conn?.status?.quietHours?.start === '00:00', 'the quiet hours in a status delta');
    // After reload the daemon reports the quiet hours it now applies.
    const status = await conn.call('status', {});
    expect(status.quietHours).toMatchObject({ start: '00:00', end: '23:59' });

    const refused = await settings
      .setQuietHours({ start: '08:00', end: '08:00', during: 'hold' })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'TRAY_ERR_INVALID_INPUT', field: 'notifications.quietHours.end' });
    // A refused edit leaves the file as it was.
    expect(JSON.parse(await readFile(d.config, 'utf8')).notifications.quietHours.end).toBe('23:59');

    expect(await settings.setQuietHours(null)).toBeNull();
    expect((await conn.call('status', {})).quietHours).toBeUndefined();
  });

  it('refuses to write notification settings while the daemon runs its demo', async () => {
    start();
    conn = new DaemonConnection({ socketPath: d.socket, backoff: { baseMs: 100, capMs: 400 } });
    conn.start();
    await until(() => conn?.state.state === 'connected', 'the connection', 60_000);
    const settings = new DaemonNotificationConfig(conn);
    await expect(settings.setRules([{ folder: 'x', mute: true }])).rejects.toMatchObject({
      code: 'TRAY_ERR_INVALID_INPUT',
      message: expect.stringContaining('demo'),
    });
  });
});
