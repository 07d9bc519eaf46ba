import type { Logger } from 'pino';
import type { NotificationsConfig, QuietHoursConfig } from '../config/rules';
import { type ChangeSignal, signalSize } from '../signal';
import type { StateStore } from '../store/types';
import { emit } from '../channels';
import { hubChannels } from './channels';
import { type Clock, systemClock } from '../clock';
import { Coalescer, FolderSlots } from './coalesce';
import { isPaused } from './pause';
import { isQuiet, nextQuietChange } from './quiet-hours';
import { compileRules, type RuleDecision } from './rules';
import type { Hub, Sink, SinkRole } from './types';

/** The parts of the `notifications` config the hub applies (sinks are built by the daemon). */
export type HubSettings = Pick<NotificationsConfig, 'coalesceMs' | 'maxItems' | 'collections' | 'rules'> & {
  quietHours?: QuietHoursConfig | undefined;
};

/** Options for {@link createHub}. */
export interface HubOptions extends HubSettings {
  store: StateStore;
  log: Logger;
  clock?: Clock;
}

/** What `tidings status` and tests read about the hub's memory. */
export interface HubStats {
  /** Folders with an open coalesce window. */
  coalescing: number;
  /** Per sink: folders whose merged signal waits (sink busy, or quiet hours with `hold`). */
  held: Record<string, number>;
}

/** The hub as the daemon sees it: the watchers' {@link Hub} plus control and status. */
export interface TidingsHub extends Hub {
  /** Redelivers what the outbox still holds (signals committed but not handed on before the last exit). */
  start(): void;
  /** Applies a reloaded config; open windows and held signals are kept. */
  reconfigure(settings: HubSettings): void;
  /** Changes announced for an account since the last `markSeen` (tray badge). */
  unseen(accountId: string): number;
  /** Resets the unseen count of one account, or of all. */
  markSeen(accountId?: string): void;
  /** Holds back notifications to people until `until` (ms since the epoch); hooks keep running. */
  pause(until: number): void;
  resume(): void;
  /** End of the current pause, ms since the epoch, if paused. */
  pausedUntil(): number | undefined;
  /** Whether quiet hours are in force now; undefined when none are configured. */
  quietNow(): boolean | undefined;
  stats(): HubStats;
  /** Closes every open coalesce window at once (shutdown with sinks still up). */
  flush(): void;
  /** Stops timers. Signals not yet handed on stay in the outbox for the next start. */
  close(): void;
}

interface SinkEntry {
  sink: Sink;
  role: SinkRole;
  /** True after deliver() returned false, until the sink calls its drain callback. */
  busy: boolean;
  /** One merged signal per folder the sink has not taken yet: bounded by the number of folders. */
  held: FolderSlots;
  removed: boolean;
}

type Route = ReadonlySet<string> | undefined;

/**
 * Creates the hub: publish → rules → per-folder coalescing → fan-out to sinks, with quiet hours
 * and pause for people-facing sinks, per-sink per-folder holding while a sink is busy, acks in
 * the store once a signal is handed on, and lifecycle events on diagnostics channels.
 *
 * Delivery is at-least-once: a signal is acked after its coalesce window closed and every sink
 * took it (or holds it in its slot), so a crash before that redelivers it on `start()` with its
 * stable id, and consumers de-duplicate by id.
 */
export function createHub(opts: HubOptions): TidingsHub {
  const { store, log } = opts;
  const clock = opts.clock ?? systemClock;
  let settings: HubSettings = opts;
  let decide: (s: ChangeSignal) => RuleDecision = compileRules(settings);
  let coalescer = new Coalescer<Route>(settings.coalesceMs, settings.maxItems);
  const sinks: SinkEntry[] = [];
  const unseen = new Map<string, number>();
  let pausedUntil: number | undefined;
  let flushTimer: unknown;
  let flushAt: number | undefined;
  let quietTimer: unknown;
  let started = false;
  let closed = false;

  const peopleFacing = (e: SinkEntry) => e.role !== 'hook';
  const quietNow = () => (settings.quietHours ? isQuiet(settings.quietHours, new Date(clock.now())) : false);

  function ack(ids: string[]): void {
    if (ids.length === 0) return;
    try {
      store.ack(ids);
    } catch (err) {
      // The signals stay pending and come again on the next start: a duplicate, never a loss.
      log.error({ err, count: ids.length }, 'could not mark signals delivered');
    }
  }

  function bumpUnseen(signal: ChangeSignal): void {
    const count = (unseen.get(signal.accountId) ?? 0) + signalSize(signal);
    unseen.set(signal.accountId, count);
    emit(hubChannels.unseen, () => ({ accountId: signal.accountId, count }));
  }

  /** Hands one signal to a sink now; marks it busy when it says so. */
  function deliverTo(e: SinkEntry, signal: ChangeSignal): void {
    let more: boolean;
    try {
      more = e.sink.deliver(signal);
    } catch (error) {
      log.warn({ err: error, sink: e.sink.name }, 'sink failed to take a signal');
      emit(hubChannels.drop, () => ({ signal, reason: 'sink-error', sink: e.sink.name, error }));
      return;
    }
    emit(hubChannels.deliver, () => ({ signal, sink: e.sink.name }));
    // A sink without onDrain could never resume, so its "busy" is advisory only.
    if (!more && e.sink.onDrain) e.busy = true;
  }

  /** Delivers a sink's held slots, oldest folder first, until it is busy again. */
  function release(e: SinkEntry): void {
    if (e.removed || e.busy || (peopleFacing(e) && quietNow())) return;
    for (let s = e.held.shift(); s; s = e.busy ? undefined : e.held.shift()) {
      deliverTo(e, s);
    }
  }

  function dispatch(signal: ChangeSignal, route: Route): void {
    const paused = isPaused(pausedUntil, clock.now());
    const quiet = quietNow();
    // A snapshot: a sink may remove itself (or another) from inside deliver(), e.g. an IPC
    // client dropped for being too slow.
    for (const e of [...sinks]) {
      if (e.removed) continue;
      if (e.role !== 'subscriber' && route && !route.has(e.sink.name)) continue;
      if (peopleFacing(e) && paused) {
        emit(hubChannels.drop, () => ({ signal, reason: 'paused', sink: e.sink.name }));
        continue;
      }
      if (peopleFacing(e) && quiet && settings.quietHours?.during === 'drop') {
        emit(hubChannels.drop, () => ({ signal, reason: 'quiet', sink: e.sink.name }));
        continue;
      }
      const holdBack = e.busy || (peopleFacing(e) && quiet);
      // Held slots whose reason has passed without its timer firing (a suspended machine wakes
      // after quiet hours) go out first, so a folder's older news never trails its newer.
      if (!holdBack && e.held.size > 0) release(e);
      // Behind a busy sink or quiet hours, or behind an older held signal of the same folder
      // (order per folder is kept), merge into the folder's slot.
      if (e.busy || (peopleFacing(e) && quiet) || e.held.has(signal)) {
        e.held.put(signal);
        emit(hubChannels.hold, () => ({ signal, sink: e.sink.name, reason: e.busy ? 'busy' : 'quiet' }));
        continue;
      }
      deliverTo(e, signal);
    }
  }

  function flushDue(now: number): void {
    if (flushTimer !== undefined) clock.clearTimeout(flushTimer);
    flushTimer = undefined;
    flushAt = undefined;
    const batches = coalescer.due(now);
    const handled: string[] = [];
    for (const b of batches) {
      if (signalSize(b.signal) === 0) {
        // Everything in the window cancelled out (added, then removed).
        emit(hubChannels.drop, () => ({ signal: b.signal, reason: 'empty' }));
      } else {
        dispatch(b.signal, b.tag);
      }
      handled.push(...b.ids);
    }
    ack(handled);
    schedule();
  }

  function schedule(): void {
    if (closed) return;
    const due = coalescer.nextDueAt();
    if (due === undefined || due === flushAt) return;
    if (flushTimer !== undefined) clock.clearTimeout(flushTimer);
    flushAt = due;
    flushTimer = clock.setTimeout(() => flushDue(clock.now()), Math.max(0, due - clock.now()));
  }

  function scheduleQuiet(): void {
    if (quietTimer !== undefined) clock.clearTimeout(quietTimer);
    quietTimer = undefined;
    if (closed || !settings.quietHours) return;
    const next = nextQuietChange(settings.quietHours, new Date(clock.now()));
    if (!next) return;
    quietTimer = clock.setTimeout(
      () => {
        quietTimer = undefined;
        // Quiet hours ended: hand over the per-folder summaries held meanwhile.
        if (!quietNow()) for (const e of [...sinks]) release(e);
        scheduleQuiet();
      },
      Math.max(0, next.getTime() - clock.now()),
    );
  }

  function publish(signals: readonly ChangeSignal[]): void {
    if (closed) return;
    const now = clock.now();
    const dropped: string[] = [];
    for (const signal of signals) {
      emit(hubChannels.signal, () => ({ signal }));
      const d = decide(signal);
      if (!d.keep) {
        emit(hubChannels.drop, () => ({ signal, reason: d.reason, rule: d.rule }));
        dropped.push(signal.id);
        continue;
      }
      bumpUnseen(d.signal);
      coalescer.add(d.signal, signal.id, d.sinks, now);
    }
    ack(dropped);
    // A quiet folder's first signal goes out now (leading edge, coalesce.ts); the rest waits.
    if (settings.coalesceMs === 0 || coalescer.hasReady()) flushDue(now);
    else schedule();
  }

  scheduleQuiet();

  return {
    publish,
    addSink(sink) {
      const e: SinkEntry = {
        sink,
        role: sink.role ?? 'subscriber',
        busy: false,
        held: new FolderSlots(settings.maxItems),
        removed: false,
      };
      sinks.push(e);
      sink.onDrain?.(() => {
        e.busy = false;
        release(e);
      });
      return () => {
        e.removed = true;
        const i = sinks.indexOf(e);
        if (i >= 0) sinks.splice(i, 1);
      };
    },
    start() {
      if (started) return;
      started = true;
      publish(store.pending());
    },
    reconfigure(next) {
      const windowChanged = next.coalesceMs !== settings.coalesceMs || next.maxItems !== settings.maxItems;
      settings = next;
      decide = compileRules(next);
      if (windowChanged) {
        // Close open windows under the old settings rather than re-time them.
        flushDue(Number.POSITIVE_INFINITY);
        coalescer = new Coalescer<Route>(next.coalesceMs, next.maxItems);
      }
      scheduleQuiet();
      if (!quietNow()) for (const e of [...sinks]) release(e);
    },
    unseen: (accountId) => unseen.get(accountId) ?? 0,
    markSeen(accountId) {
      const ids = accountId === undefined ? [...unseen.keys()] : [accountId];
      for (const id of ids) {
        unseen.delete(id);
        emit(hubChannels.unseen, () => ({ accountId: id, count: 0 }));
      }
    },
    // A pause needs no timer: every dispatch compares the clock with its end.
    pause(until) {
      pausedUntil = until;
    },
    resume() {
      pausedUntil = undefined;
    },
    pausedUntil: () => (isPaused(pausedUntil, clock.now()) ? pausedUntil : undefined),
    quietNow: () => (settings.quietHours ? quietNow() : undefined),
    stats: () => ({
      coalescing: coalescer.size,
      held: Object.fromEntries(sinks.map((e) => [e.sink.name, e.held.size])),
    }),
    flush: () => flushDue(Number.POSITIVE_INFINITY),
    close() {
      closed = true;
      for (const t of [flushTimer, quietTimer]) if (t !== undefined) clock.clearTimeout(t);
      flushTimer = quietTimer = undefined;
    },
  };
}
