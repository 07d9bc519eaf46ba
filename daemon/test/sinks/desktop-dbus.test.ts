import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktopSinkConfigSchema } from '../../src/config/rules';
import type { ChangeSignal } from '../../src/signal';
import { createDesktopSink } from '../../src/sinks/desktop';

/**
 * A real desktop notification: Xvfb + a private D-Bus session bus + dunst
 * (scripts/desktop-session.sh), the desktop sink through node-notifier and notify-send, and
 * dbus-monitor capturing the org.freedesktop.Notifications.Notify call it makes.
 */
const SCRIPT = join(import.meta.dirname, '../../../scripts/desktop-session.sh');
const TOOLS = ['Xvfb', 'dbus-daemon', 'dunst', 'dbus-send', 'dbus-monitor', 'notify-send'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip)
  console.warn(
    `skipping the D-Bus notification test: ${missing.join(', ')} missing (scripts/setup.sh installs them)`,
  );

interface NotifyCall {
  appName: string;
  summary: string;
  body: string;
}

/** Parses `dbus-monitor` text: each Notify call's (app_name, replaces_id, icon, summary, body, …). */
function notifyCalls(text: string): NotifyCall[] {
  return text
    .split(/\n(?=method call|signal|method return|error)/)
    .filter((block) => block.includes('member=Notify'))
    .map((block) => {
      const strings = [...block.matchAll(/ string "([\s\S]*?)"\n/g)].map((m) => m[1] as string);
      return { appName: strings[0] ?? '', summary: strings[2] ?? '', body: strings[3] ?? '' };
    });
}

function mail(id: string, added: ChangeSignal['added']): ChangeSignal {
  return {
    id,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added,
    changed: [],
    removed: [],
    observedAt: '2026-11-25T12:00:00.000Z',
  };
}

describe.skipIf(skip)('desktop sink on a real D-Bus session with dunst', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-desktop-'));
  const env: Record<string, string> = {};
  const saved = {
    DISPLAY: process.env.DISPLAY,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
  };
  let monitor: ChildProcess | undefined;
  let captured = '';

  beforeAll(async () => {
    if (missing.length > 0)
      throw new Error(`CI=true and ${missing.join(', ')} missing: run scripts/setup.sh`);
    const started = spawnSync('bash', [SCRIPT, 'start', dir], { encoding: 'utf8' });
    if (started.status !== 0) throw new Error(`desktop-session.sh start failed: ${started.stderr}`);
    for (const line of started.stdout.trim().split('\n')) {
      const i = line.indexOf('=');
      env[line.slice(0, i)] = line.slice(i + 1);
    }
    // node-notifier runs notify-send with this process's environment.
    process.env.DISPLAY = env.DISPLAY;
    process.env.DBUS_SESSION_BUS_ADDRESS = env.DBUS_SESSION_BUS_ADDRESS;
    monitor = spawn(
      'dbus-monitor',
      ['--session', "interface='org.freedesktop.Notifications',member='Notify'"],
      {
        env: { ...process.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    monitor.stdout?.setEncoding('utf8').on('data', (c: string) => {
      captured += c;
    });
    // dbus-monitor is listening once it has given up its name to become a monitor.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`dbus-monitor did not start: ${captured}`)), 10_000);
      const check = setInterval(() => {
        if (captured.includes('NameLost')) {
          clearTimeout(t);
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
  });

  afterAll(() => {
    monitor?.kill('SIGTERM');
    spawnSync('bash', [SCRIPT, 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** Delivers and resolves with the sink's own outcome message (the node-notifier callback ran). */
  function deliverAndSettle(signal: ChangeSignal): Promise<Record<string, unknown>> {
    const log = pino({ level: 'silent' });
    return new Promise((resolve) => {
      const onMessage = (m: unknown) => {
        const msg = m as Record<string, unknown>;
        if (msg.signalId !== signal.id) return;
        unsubscribe('tidings:sink:desktop', onMessage);
        resolve(msg);
      };
      subscribe('tidings:sink:desktop', onMessage);
      createDesktopSink({
        config: desktopSinkConfigSchema().parse({}),
        log,
        isSuppressed: () => false,
      }).deliver(signal);
    });
  }

  async function waitForCalls(n: number): Promise<NotifyCall[]> {
    for (let i = 0; i < 200; i++) {
      const calls = notifyCalls(captured);
      // A call is complete once its last argument (expire_timeout, int32) has been printed.
      if (calls.length >= n && /int32 -?\d+\s*$/.test(captured)) return calls;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`expected ${n} Notify calls, dbus-monitor saw:\n${captured}`);
  }

  it('posts Notify with the formatted title and the escaped body', async () => {
    const outcome = await deliverAndSettle(
      mail('d1', [
        {
          id: 'm1',
          title: 'Meeting moved',
          from: 'Alice <alice@example.org>',
          preview: 'Now at 3 pm <Room 4> & coffee',
        },
      ]),
    );
    expect(outcome.outcome).toBe('shown');
    const [call] = await waitForCalls(1);
    expect(call).toEqual({
      appName: 'Tidings',
      summary: 'Alice — Meeting moved',
      body: 'Now at 3 pm &lt;Room 4&gt; &amp; coffee',
    });
  });

  it('keeps the line breaks of a burst summary', async () => {
    const added = ['Ann', 'Ben', 'Cy'].map((n, i) => ({
      id: `b${i}`,
      title: `Hello from ${n}`,
      from: `${n} <${n}@x.org>`,
    }));
    expect((await deliverAndSettle(mail('d2', added))).outcome).toBe('shown');
    const calls = await waitForCalls(2);
    expect(calls[1]).toEqual({
      appName: 'Tidings',
      summary: '3 new mails in Inbox',
      body: 'Ann — Hello from Ann\nBen — Hello from Ben\nCy — Hello from Cy',
    });
  });

  it('turns a notify-send failure into a logged SINK_ERR_DESKTOP without throwing', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, 'no-such-bus')}`;
    try {
      const signal = mail('d3', [{ id: 'x', title: 'Lost', from: 'Dan <d@x.org>' }]);
      const outcome = await new Promise<Record<string, unknown>>((resolve) => {
        const onMessage = (m: unknown) => {
          unsubscribe('tidings:sink:desktop', onMessage);
          resolve(m as Record<string, unknown>);
        };
        subscribe('tidings:sink:desktop', onMessage);
        expect(() =>
          createDesktopSink({
            config: desktopSinkConfigSchema().parse({}),
            log,
            isSuppressed: () => false,
          }).deliver(signal),
        ).not.toThrow();
      });
      expect(outcome.outcome).toBe('failed');
      expect((outcome.error as { code: string }).code).toBe('SINK_ERR_DESKTOP');
      expect(lines.join('')).toContain('"code":"SINK_ERR_DESKTOP"');
    } finally {
      process.env.DBUS_SESSION_BUS_ADDRESS = bus;
    }
  });
});
