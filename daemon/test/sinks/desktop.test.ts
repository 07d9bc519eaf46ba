import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { desktopSinkConfigSchema } from '../../src/config/rules';
import type { ChangeSignal } from '../../src/signal';
import { createDesktopSink, type Notifier } from '../../src/sinks/desktop';

function mail(id: string, over: Partial<ChangeSignal> = {}): ChangeSignal {
  return {
    id,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added: [{ id: `m-${id}`, title: 'Meeting moved', from: 'Alice <alice@example.org>' }],
    changed: [],
    removed: [],
    observedAt: '2026-11-25T12:00:00.000Z',
    ...over,
  };
}

/** A notifier that keeps each call's callback so the test decides when and how it ends. */
class HeldNotifier implements Notifier {
  readonly calls: {
    notification: Record<string, unknown>;
    callback: (err: Error | string | null) => void;
  }[] = [];
  notify(notification: Record<string, unknown>, callback: (err: Error | string | null) => void): unknown {
    this.calls.push({ notification, callback });
    return this;
  }
}

describe('desktop sink', () => {
  const messages: Record<string, unknown>[] = [];
  const onMessage = (m: unknown) => messages.push(m as Record<string, unknown>);
  subscribe('tidings:sink:desktop', onMessage);
  afterEach(() => {
    messages.length = 0;
  });
  afterAll(() => unsubscribe('tidings:sink:desktop', onMessage));
  const logLines: string[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(c, _e, cb) {
        logLines.push(String(c));
        cb();
      },
    }),
  );
  const config = desktopSinkConfigSchema().parse({ urgency: 'critical', expireSeconds: 5 });

  it('posts title and markup-escaped body with the configured urgency and expiry', () => {
    const notifier = new HeldNotifier();
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier });
    expect(sink.role).toBe('notifier');
    sink.deliver(
      mail('1', { added: [{ id: 'a', title: 'Hi', from: 'Bob <b@x.org>', preview: 'a < b & c' }] }),
    );
    expect(notifier.calls[0]?.notification).toMatchObject({
      title: 'Bob — Hi',
      message: 'a &lt; b &amp; c',
      urgency: 'critical',
      timeout: 5,
      'app-name': 'Tidings',
    });
    notifier.calls[0]?.callback(null);
    expect(messages).toEqual([{ signalId: '1', outcome: 'shown', title: 'Bob — Hi', body: 'a < b & c' }]);
  });

  it('shows nothing while a tray is subscribed, so a change is never announced twice', () => {
    const notifier = new HeldNotifier();
    let tray = true;
    const sink = createDesktopSink({ config, log, isSuppressed: () => tray, notifier });
    expect(sink.deliver(mail('1'))).toBe(true);
    expect(notifier.calls).toHaveLength(0);
    tray = false;
    sink.deliver(mail('2'));
    expect(notifier.calls).toHaveLength(1);
    expect(messages[0]).toEqual({ signalId: '1', outcome: 'suppressed' });
  });

  it('skips changes not worth an interruption (a mail marked read)', () => {
    const notifier = new HeldNotifier();
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier });
    sink.deliver(mail('1', { added: [], changed: [{ id: 'x', unread: false }] }));
    expect(notifier.calls).toHaveLength(0);
    expect(messages).toEqual([{ signalId: '1', outcome: 'skipped' }]);
  });

  it('logs a failure reported through the callback as SINK_ERR_DESKTOP and stays usable', () => {
    const notifier = new HeldNotifier();
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier });
    sink.deliver(mail('1'));
    notifier.calls[0]?.callback(new Error('Command failed: notify-send … Cannot autolaunch D-Bus'));
    expect(messages[0]).toMatchObject({ signalId: '1', outcome: 'failed' });
    expect(messages[0]?.error).toMatchObject({ code: 'SINK_ERR_DESKTOP' });
    expect(logLines.at(-1)).toContain('Cannot autolaunch D-Bus');
    sink.deliver(mail('2'));
    expect(notifier.calls).toHaveLength(2);
  });

  it('warns once per streak of failures, not for every signal', () => {
    const notifier = new HeldNotifier();
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier });
    const warnings = () => logLines.filter((l) => l.includes('"level":40')).length;
    const before = warnings();
    for (const id of ['1', '2', '3']) {
      sink.deliver(mail(id));
      notifier.calls.at(-1)?.callback(new Error('notify-send must be installed on the system.'));
    }
    expect(warnings() - before).toBe(1);
    sink.deliver(mail('4'));
    notifier.calls.at(-1)?.callback(null);
    sink.deliver(mail('5'));
    notifier.calls.at(-1)?.callback(new Error('no bus'));
    expect(warnings() - before).toBe(2);
    expect(messages.filter((m) => m.outcome === 'failed')).toHaveLength(4);
  });

  it('treats a synchronous throw from node-notifier the same way', () => {
    const notifier: Notifier = {
      notify() {
        throw new TypeError('The second argument must be a function callback');
      },
    };
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier });
    expect(sink.deliver(mail('1'))).toBe(true);
    expect(messages[0]).toMatchObject({ signalId: '1', outcome: 'failed' });
  });

  it('reports busy at maxInFlight and resumes the hub when one settles', () => {
    const notifier = new HeldNotifier();
    const sink = createDesktopSink({ config, log, isSuppressed: () => false, notifier, maxInFlight: 2 });
    let resumed = 0;
    sink.onDrain?.(() => resumed++);
    expect(sink.deliver(mail('1'))).toBe(true);
    expect(sink.deliver(mail('2'))).toBe(false);
    notifier.calls[0]?.callback(null);
    expect(resumed).toBe(1);
    notifier.calls[1]?.callback('');
    expect(resumed).toBe(1);
    expect(messages.map((m) => m.outcome)).toEqual(['shown', 'shown']);
  });
});
