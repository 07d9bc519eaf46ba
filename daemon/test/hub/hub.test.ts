import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsConfigSchema } from '../../src/config/rules';
import { createHub, type TidingsHub } from '../../src/hub/hub';
import type { Sink, SinkRole } from '../../src/hub/types';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { ManualClock } from './manual-clock';

const T0 = Date.parse('2026-11-25T12:00:00Z'); // a Wednesday, 12:00 UTC

let seq = 0;
function mail(folderId: string, itemId: string, over: Partial<ChangeSignal> = {}): ChangeSignal {
  seq++;
  return {
    id: `sig-${seq}`,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: folderId, name: folderId },
    added: [{ id: itemId, title: `Subject ${itemId}`, from: 'Alice <alice@example.org>' }],
    changed: [],
    removed: [],
    observedAt: new Date(T0).toISOString(),
    ...over,
  };
}

/** A sink that records what it gets; `busy` makes deliver() answer false; drain() resumes. */
class RecordingSink implements Sink {
  readonly got: ChangeSignal[] = [];
  busy = false;
  #resume: (() => void) | undefined;
  constructor(
    readonly name: string,
    readonly role: SinkRole = 'subscriber',
  ) {}
  deliver(signal: ChangeSignal): boolean {
    this.got.push(signal);
    return !this.busy;
  }
  onDrain(resume: () => void): void {
    this.#resume = resume;
  }
  drain(): void {
    this.busy = false;
    this.#resume?.();
  }
}

function capture(name: string): { messages: Record<string, unknown>[]; stop(): void } {
  const messages: Record<string, unknown>[] = [];
  const fn = (m: unknown) => messages.push(m as Record<string, unknown>);
  subscribe(name, fn);
  return { messages, stop: () => unsubscribe(name, fn) };
}

describe('hub', () => {
  const open: { hub: TidingsHub; clock: ManualClock }[] = [];
  const stops: (() => void)[] = [];
  const logLines: string[] = [];
  afterEach(() => {
    for (const { hub, clock } of open.splice(0)) {
      hub.close();
      // Every timer the hub armed is cleared on close.
      expect(clock.armed).toBe(0);
    }
    for (const s of stops.splice(0)) s();
    logLines.length = 0;
  });

  function setup(config: object = {}, store = new MemoryStore()) {
    const clock = new ManualClock(T0);
    const log = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    );
    const hub = createHub({ ...notificationsConfigSchema().parse(config), store, log, clock });
    open.push({ hub, clock });
    return { hub, clock, store };
  }

  function listen(name: string) {
    const c = capture(name);
    stops.push(c.stop);
    return c.messages;
  }

  it('sends the first signal of a quiet folder at once and coalesces the rest of a burst, acking once handed on', () => {
    const { hub, clock, store } = setup({ coalesceMs: 2_000 });
    const sink = new RecordingSink('tray');
    hub.addSink(sink);
    const burst = Array.from({ length: 10 }, (_, i) => mail('inbox', `m${i}`));
    const other = mail('work', 'w1');
    hub.publish(store.commit('work', { signals: [...burst, other] }));
    // Leading edge (issue 14): no timer between the change and the first signal of each folder.
    expect(sink.got).toEqual([burst[0], other]);
    expect(store.pending()).toHaveLength(9);
    clock.advance(1_999);
    expect(sink.got).toHaveLength(2);
    clock.advance(1);
    expect(sink.got.map((s) => s.folder.id)).toEqual(['inbox', 'work', 'inbox']);
    expect(sink.got[2]?.added.map((i) => i.id)).toEqual(burst.slice(1).map((s) => s.added[0]?.id));
    expect(store.pending()).toEqual([]);
  });

  it('redelivers what the outbox still holds on start', () => {
    const store = new MemoryStore();
    const left = store.commit('work', { signals: [mail('inbox', 'a'), mail('inbox', 'b')] });
    const { hub, clock } = setup({ coalesceMs: 100 }, store);
    const sink = new RecordingSink('tray');
    hub.addSink(sink);
    hub.start();
    hub.start();
    expect(sink.got).toEqual([left[0]]);
    clock.advance(100);
    expect(sink.got).toHaveLength(2);
    expect(sink.got.flatMap((s) => s.added.map((i) => i.id))).toEqual(
      left.flatMap((s) => s.added.map((i) => i.id)),
    );
    expect(store.pending()).toEqual([]);
  });

  it('holds at most one signal per folder for a stuck sink under 100 000 signals, and resumes on drain', () => {
    const { hub } = setup({ coalesceMs: 0, maxItems: 20 });
    const stuck = new RecordingSink('webhook', 'hook');
    const healthy = new RecordingSink('tray');
    hub.addSink(stuck);
    hub.addSink(healthy);
    stuck.busy = true;
    const folders = 7;
    let maxHeld = 0;
    for (let i = 0; i < 100_000; i++) {
      hub.publish([mail(`f${i % folders}`, `m${i}`)]);
      if (i % 997 === 0) maxHeld = Math.max(maxHeld, hub.stats().held.webhook ?? 0);
    }
    maxHeld = Math.max(maxHeld, hub.stats().held.webhook ?? 0);
    expect(maxHeld).toBe(folders);
    expect(stuck.got).toHaveLength(1);
    expect(healthy.got).toHaveLength(100_000);

    stuck.drain();
    expect(hub.stats().held.webhook).toBe(0);
    const merged = stuck.got.slice(1);
    expect(merged.map((s) => s.folder.id).sort()).toEqual(
      Array.from({ length: folders }, (_, i) => `f${i}`).sort(),
    );
    // Each merged signal carries the newest items of its folder, capped at maxItems.
    const f0 = merged.find((s) => s.folder.id === 'f0');
    expect(f0?.added).toHaveLength(20);
    expect(f0?.added.at(-1)?.id).toBe(`m${99_995}`);
  });

  it('stops draining when the sink is busy again, keeping the rest held', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const sink = new RecordingSink('hook', 'hook');
    hub.addSink(sink);
    sink.busy = true;
    for (const f of ['a', 'b', 'c', 'a']) hub.publish([mail(f, `${f}1`)]);
    expect(hub.stats().held.hook).toBe(3);
    // The first held one makes it busy again: one delivered, two stay.
    sink.busy = false;
    const deliver = sink.deliver.bind(sink);
    sink.deliver = (s) => {
      deliver(s);
      return false;
    };
    sink.drain();
    expect(sink.got.map((s) => s.folder.id)).toEqual(['a', 'b']);
    expect(hub.stats().held.hook).toBe(2);
  });

  it('drops muted folders and disabled collections, acks them, and counts nothing unseen', () => {
    const { hub, clock, store } = setup({
      coalesceMs: 10,
      collections: { contacts: false },
      rules: [{ name: 'quiet junk', folder: 'Junk', mute: true }],
    });
    const drops = listen('tidings:hub:drop');
    const sink = new RecordingSink('tray');
    hub.addSink(sink);
    hub.publish(
      store.commit('work', {
        signals: [mail('Junk', 'j'), mail('inbox', 'c', { collection: 'contacts' }), mail('inbox', 'i')],
      }),
    );
    clock.advance(10);
    expect(sink.got.map((s) => s.added[0]?.id)).toEqual(['i']);
    expect(drops.map((d) => [d.reason, d.rule])).toEqual([
      ['muted', 'quiet junk'],
      ['collection-disabled', undefined],
    ]);
    expect(store.pending()).toEqual([]);
    expect(hub.unseen('work')).toBe(1);
  });

  it("routes a rule's signals to the sinks it names; subscribers always get them", () => {
    const { hub } = setup({
      coalesceMs: 0,
      rules: [{ folder: 'calendar', sinks: ['pager'] }],
      sinks: {
        exec: [
          { name: 'pager', command: ['/bin/true'] },
          { name: 'log', command: ['/bin/true'] },
        ],
      },
    });
    const pager = new RecordingSink('pager', 'hook');
    const other = new RecordingSink('log', 'hook');
    const desktop = new RecordingSink('desktop', 'notifier');
    const tray = new RecordingSink('tray', 'subscriber');
    for (const s of [pager, other, desktop, tray]) hub.addSink(s);
    hub.publish([mail('calendar', 'e1', { collection: 'calendar' })]);
    hub.publish([mail('inbox', 'm1')]);
    expect(pager.got.map((s) => s.folder.id)).toEqual(['calendar', 'inbox']);
    expect(other.got.map((s) => s.folder.id)).toEqual(['inbox']);
    expect(desktop.got.map((s) => s.folder.id)).toEqual(['inbox']);
    expect(tray.got.map((s) => s.folder.id)).toEqual(['calendar', 'inbox']);
  });

  it('holds people-facing signals during quiet hours and delivers one summary per folder when they end', () => {
    const { hub, clock } = setup({
      coalesceMs: 0,
      quietHours: { start: '11:30', end: '13:00', timeZone: 'UTC', during: 'hold' },
    });
    const holds = listen('tidings:hub:hold');
    const desktop = new RecordingSink('desktop', 'notifier');
    const hook = new RecordingSink('hook', 'hook');
    hub.addSink(desktop);
    hub.addSink(hook);
    expect(hub.quietNow()).toBe(true);
    hub.publish([mail('inbox', 'a')]);
    hub.publish([mail('inbox', 'b')]);
    hub.publish([mail('work', 'c')]);
    expect(desktop.got).toEqual([]);
    expect(hook.got).toHaveLength(3);
    expect(holds.filter((h) => h.reason === 'quiet')).toHaveLength(3);
    clock.advance(59 * 60_000);
    expect(desktop.got).toEqual([]);
    clock.advance(60_000);
    expect(hub.quietNow()).toBe(false);
    expect(desktop.got.map((s) => [s.folder.id, s.added.map((i) => i.id)])).toEqual([
      ['inbox', ['a', 'b']],
      ['work', ['c']],
    ]);
  });

  it('hands over held summaries first when quiet hours ended but the timer is late (machine was asleep)', () => {
    const { hub, clock } = setup({
      coalesceMs: 0,
      quietHours: { start: '11:30', end: '13:00', timeZone: 'UTC' },
    });
    const desktop = new RecordingSink('desktop', 'notifier');
    hub.addSink(desktop);
    hub.publish([mail('inbox', 'a')]);
    clock.jump(2 * 3600_000);
    hub.publish([mail('inbox', 'b')]);
    expect(desktop.got.map((s) => s.added.map((i) => i.id))).toEqual([['a'], ['b']]);
  });

  it("drops people-facing signals during quiet hours set to 'drop'", () => {
    const { hub } = setup({
      coalesceMs: 0,
      quietHours: { start: '11:00', end: '13:00', timeZone: 'UTC', during: 'drop' },
    });
    const drops = listen('tidings:hub:drop');
    const tray = new RecordingSink('tray');
    hub.addSink(tray);
    hub.publish([mail('inbox', 'a')]);
    expect(tray.got).toEqual([]);
    expect(drops.map((d) => [d.reason, d.sink])).toEqual([['quiet', 'tray']]);
    expect(hub.stats().held.tray).toBe(0);
    expect(hub.unseen('work')).toBe(1);
  });

  it('drops people-facing signals while paused, keeps hooks running, and ends the pause on time or on resume', () => {
    const { hub, clock } = setup({ coalesceMs: 0 });
    const tray = new RecordingSink('tray');
    const hook = new RecordingSink('hook', 'hook');
    hub.addSink(tray);
    hub.addSink(hook);
    hub.pause(T0 + 60_000);
    expect(hub.pausedUntil()).toBe(T0 + 60_000);
    hub.publish([mail('inbox', 'a')]);
    expect([tray.got.length, hook.got.length]).toEqual([0, 1]);
    clock.advance(60_000);
    expect(hub.pausedUntil()).toBeUndefined();
    hub.publish([mail('inbox', 'b')]);
    expect(tray.got.map((s) => s.added[0]?.id)).toEqual(['b']);
    hub.pause(T0 + 10 * 60_000);
    hub.resume();
    hub.publish([mail('inbox', 'c')]);
    expect(tray.got.map((s) => s.added[0]?.id)).toEqual(['b', 'c']);
  });

  it('counts unseen changes per account and resets them on markSeen', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const unseen = listen('tidings:hub:unseen');
    hub.publish([mail('inbox', 'a'), mail('inbox', 'b', { accountId: 'home' })]);
    hub.publish([mail('inbox', 'c', { changed: [{ id: 'x' }] })]);
    expect([hub.unseen('work'), hub.unseen('home'), hub.unseen('none')]).toEqual([3, 1, 0]);
    hub.markSeen('work');
    expect([hub.unseen('work'), hub.unseen('home')]).toEqual([0, 1]);
    hub.markSeen();
    expect(hub.unseen('home')).toBe(0);
    expect(unseen.at(-1)).toEqual({ accountId: 'home', count: 0 });
  });

  it('drops a window whose items cancelled out (added, then removed) and acks its parts', () => {
    const { hub, clock, store } = setup({ coalesceMs: 500 });
    const drops = listen('tidings:hub:drop');
    const sink = new RecordingSink('tray');
    hub.addSink(sink);
    const first = mail('inbox', 'm0');
    hub.publish(store.commit('work', { signals: [first] }));
    // The folder is now hot: what follows within the window is coalesced.
    const added = mail('inbox', 'm1');
    const removed = mail('inbox', 'x', { added: [], removed: [{ id: 'm1' }] });
    hub.publish(store.commit('work', { signals: [added, removed] }));
    clock.advance(500);
    expect(sink.got).toEqual([first]);
    expect(drops.map((d) => d.reason)).toEqual(['empty']);
    expect(store.pending()).toEqual([]);
  });

  it('keeps going when a sink throws: the others still get the signal and the failure is logged', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const drops = listen('tidings:hub:drop');
    const delivers = listen('tidings:hub:deliver');
    hub.addSink({
      name: 'broken',
      deliver() {
        throw new Error('boom');
      },
    });
    const tray = new RecordingSink('tray');
    hub.addSink(tray);
    hub.publish([mail('inbox', 'a')]);
    expect(tray.got).toHaveLength(1);
    expect(drops.map((d) => [d.reason, d.sink])).toEqual([['sink-error', 'broken']]);
    expect(delivers.map((d) => d.sink)).toEqual(['tray']);
    expect(logLines.some((l) => l.includes('"sink":"broken"') && l.includes('boom'))).toBe(true);
  });

  it('keeps fanning out when a sink removes itself from inside deliver()', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const remove: () => void = hub.addSink({
      name: 'slow-client',
      deliver: () => {
        remove();
        return true;
      },
    });
    const tray = new RecordingSink('tray');
    hub.addSink(tray);
    hub.publish([mail('inbox', 'a')]);
    hub.publish([mail('inbox', 'b')]);
    expect(tray.got.map((s) => s.added[0]?.id)).toEqual(['a', 'b']);
    expect(Object.keys(hub.stats().held)).toEqual(['tray']);
  });

  it('stops delivering to a removed sink', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const tray = new RecordingSink('tray');
    const remove = hub.addSink(tray);
    hub.publish([mail('inbox', 'a')]);
    remove();
    hub.publish([mail('inbox', 'b')]);
    expect(tray.got).toHaveLength(1);
    expect(hub.stats().held).toEqual({});
  });

  it('applies a reloaded config: new rules at once, open windows closed under the old settings', () => {
    const { hub } = setup({ coalesceMs: 5_000 });
    const tray = new RecordingSink('tray');
    hub.addSink(tray);
    hub.publish([mail('inbox', 'a')]);
    hub.reconfigure(
      notificationsConfigSchema().parse({ coalesceMs: 0, rules: [{ folder: 'inbox', mute: true }] }),
    );
    expect(tray.got.map((s) => s.added[0]?.id)).toEqual(['a']);
    hub.publish([mail('inbox', 'b')]);
    expect(tray.got).toHaveLength(1);
  });

  it('publishes every signal entering the hub on tidings:hub:signal', () => {
    const { hub } = setup({ coalesceMs: 0 });
    const seen = listen('tidings:hub:signal');
    const s = mail('inbox', 'a');
    hub.publish([s]);
    expect(seen).toEqual([{ signal: s }]);
  });
});
