import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsConfigSchema } from '../../src/config/rules';
import { createHub, type TidingsHub } from '../../src/hub/hub';
import type { Sink, SinkLedger, SinkRole } from '../../src/hub/types';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import type { StateStore } from '../../src/store/types';
import { ManualClock } from './manual-clock';

/**
 * Issue 13 §7/§8: the hub's hand-off (outbox ack + feed + ledgers in one transaction). One id
 * per signal whether live, replayed or caught up after being busy; durable sinks find in their
 * ledger exactly what was routed to them, across "lives" of the hub on the same store.
 */

const T0 = Date.parse('2026-11-25T12:00:00Z');
let n = 0;
function mail(folderId: string): ChangeSignal {
  n++;
  return {
    id: `sig-${n}`,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: folderId, name: folderId },
    added: [{ id: `item-${n}`, title: `Subject ${n}` }],
    changed: [],
    removed: [],
    observedAt: new Date(T0).toISOString(),
  };
}

class Recorder implements Sink {
  readonly got: ChangeSignal[] = [];
  busy = false;
  #resume: (() => void) | undefined;
  constructor(
    readonly name: string,
    readonly role: SinkRole = 'subscriber',
  ) {}
  deliver(s: ChangeSignal): boolean {
    this.got.push(s);
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

/** A durable sink that only records its ledger and the pokes it gets. */
class LedgerSink implements Sink {
  readonly role = 'hook' as const;
  ledger: SinkLedger | undefined;
  pokes = 0;
  constructor(readonly name: string) {}
  attachLedger(l: SinkLedger): void {
    this.ledger = l;
  }
  deliver(): boolean {
    this.pokes++;
    return true;
  }
  open(): string[] {
    return (this.ledger?.open(0, 1000) ?? []).map((e) => e.signal.id);
  }
}

const ids = (l: ChangeSignal[]) => l.map((s) => s.id);
const items = (l: ChangeSignal[]) => l.flatMap((s) => s.added.map((i) => i.id));

describe('hub hand-off: feed and ledgers', () => {
  const hubs: { hub: TidingsHub; clock: ManualClock }[] = [];
  afterEach(() => {
    for (const { hub, clock } of hubs.splice(0)) {
      hub.close();
      expect(clock.armed).toBe(0);
    }
  });

  function life(store: StateStore, config: object = { coalesceMs: 1_000 }) {
    const clock = new ManualClock(T0);
    const hub = createHub({
      ...notificationsConfigSchema().parse(config),
      store,
      log: pino({ level: 'silent' }),
      clock,
    });
    hubs.push({ hub, clock });
    return { hub, clock };
  }

  /** A burst on two folders: each folder's leading signal, then one merged signal each. */
  function burst(store: StateStore, hub: TidingsHub, clock: ManualClock): void {
    const signals = [mail('inbox'), mail('work'), mail('inbox'), mail('inbox'), mail('work')];
    hub.publish(store.commit('work', { signals }));
    clock.advance(1_000);
  }

  it('a replay and a cursor give the ids subscribers saw live, merged ones included, in order', () => {
    const store = new MemoryStore();
    const { hub, clock } = life(store);
    const live = new Recorder('tray');
    hub.addSink(live);
    burst(store, hub, clock);
    expect(live.got).toHaveLength(4);
    expect(live.got.filter((s) => s.id.startsWith('m-'))).toHaveLength(1); // inbox's two merged
    expect(store.pending()).toEqual([]);

    const replayed = new Recorder('watch');
    hub.addSink(replayed, { latest: 50 });
    expect(ids(replayed.got)).toEqual(ids(live.got));

    const resumed = new Recorder('watch-2');
    hub.addSink(resumed, { after: live.got[1]?.id as string });
    expect(ids(resumed.got)).toEqual(ids(live.got.slice(2)));

    // After the replay the same sink gets live signals, and none twice.
    burst(store, hub, clock);
    expect(ids(replayed.got)).toEqual(ids(live.got));
    expect(ids(resumed.got)).toEqual(ids(live.got.slice(2)));
    // Without replay: only what comes now.
    const plain = new Recorder('plain');
    hub.addSink(plain);
    expect(plain.got).toEqual([]);
  });

  it('an unknown cursor replays what the feed keeps; a busy subscriber catches up under the same ids, never merged', () => {
    const store = new MemoryStore();
    const { hub, clock } = life(store);
    const fast = new Recorder('fast');
    const slow = new Recorder('slow');
    hub.addSink(fast);
    hub.addSink(slow);
    slow.busy = true;
    for (let i = 0; i < 20; i++) burst(store, hub, clock);
    expect(slow.got).toHaveLength(1); // took one, then said busy
    slow.drain();
    expect(ids(slow.got)).toEqual(ids(fast.got));
    expect(new Set(items(slow.got)).size).toBe(items(slow.got).length);
    expect(hub.stats().held).toMatchObject({ fast: 0, slow: 0 });

    const stranger = new Recorder('stranger');
    hub.addSink(stranger, { after: 'an-id-this-daemon-never-had' });
    expect(ids(stranger.got)).toEqual(ids(fast.got));
  });

  it('pause: live subscribers get nothing, and neither does one catching up afterwards', () => {
    const store = new MemoryStore();
    const { hub, clock } = life(store);
    const sub = new Recorder('tray');
    hub.addSink(sub);
    hub.pause(T0 + 3_600_000);
    burst(store, hub, clock);
    expect(sub.got).toEqual([]);
    hub.resume();
    const late = new Recorder('late');
    hub.addSink(late, { latest: 50 });
    expect(late.got).toEqual([]);
  });

  it('durable sinks: every signal routed to them is in their ledger before they hear of it, and stays there across lives until done', () => {
    const store = new MemoryStore();
    const first = life(store, {
      coalesceMs: 1_000,
      rules: [{ folder: 'work', sinks: ['only-work'] }],
      sinks: { exec: [{ name: 'only-work', command: ['true'] }] },
    });
    const hook = new LedgerSink('hook');
    const onlyWork = new LedgerSink('only-work');
    const tray = new Recorder('tray');
    first.hub.addSink(hook);
    first.hub.addSink(onlyWork);
    first.hub.addSink(tray);
    burst(store, first.hub, first.clock);
    const all = ids(tray.got);
    const work = tray.got.filter((s) => s.folder.id === 'work').map((s) => s.id);
    // No rule matches inbox: every sink gets it; work's rule routes work to only-work alone.
    expect(work.length).toBeGreaterThan(0);
    expect(hook.open()).toEqual(all.filter((id) => !work.includes(id)));
    expect(onlyWork.open()).toEqual(all);
    expect(hook.pokes).toBe(hook.open().length);
    const [a, b] = hook.open() as [string, string];
    hook.ledger?.begin(a, 'note');
    hook.ledger?.done(b);

    // A second life on the same store (a restart): nothing pending in the outbox, the ledger
    // still owes what was not done — with the attempt noted.
    first.hub.close();
    const second = life(store);
    const again = new LedgerSink('hook');
    second.hub.addSink(again);
    second.hub.start();
    expect(again.pokes).toBe(0);
    expect(again.ledger?.open(0, 10).map((e) => [e.signal.id, e.state, e.note])).toEqual([
      [a, 'running', 'note'],
    ]);
  });

  it('a signal already handed on (the same id again) reaches nobody twice', () => {
    const store = new MemoryStore();
    const { hub } = life(store, { coalesceMs: 0 });
    const sub = new Recorder('tray');
    const hook = new LedgerSink('hook');
    hub.addSink(sub);
    hub.addSink(hook);
    const s = mail('inbox');
    hub.publish(store.commit('work', { signals: [s] }));
    // What a replay after a crash between the hand-off and a lost ack would look like.
    hub.publish([s]);
    expect(ids(sub.got)).toEqual([s.id]);
    expect(hook.pokes).toBe(1);
    expect(hook.open()).toEqual([s.id]);
  });
});
