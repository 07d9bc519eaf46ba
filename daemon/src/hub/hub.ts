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
import { FEED_START, type Hub, type ReplayFrom, type Sink, type SinkRole } from './types';

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
  /**
   * The id of the newest feed entry ({@link FEED_START} while the feed is empty): a new
   * subscriber's cursor before its first signal. Undefined when the store keeps no feed.
   */
  feedPosition(): string | undefined;
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
  /** A durable sink working through its ledger in the store (Sink.attachLedger). */
  ledger: boolean;
  /**
   * Subscribers with a store that keeps the feed: the seq of the last feed entry handed to (or
   * skipped for) this sink. While `behind`, the sink is busy or quiet hours hold it, and it
   * catches up from the feed afterwards — under the ids the feed holds, never merged into new
   * ones (issue 13 §8: a consumer de-duplicates by id). Memory: one page, not one slot per folder.
   */
  cursor: number | undefined;
  behind: boolean;
}

/** Feed entries read per step of a subscriber's catch-up. */
const CATCH_UP_PAGE = 100;
/** A cursor the feed no longer knows (pruned, or from another state dir) replays at most this many. */
const UNKNOWN_CURSOR_REPLAY = 1000;

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
    catchUp(e);
  }

  /** A subscriber behind the feed gets what it missed, oldest first, until busy or caught up. */
  function catchUp(e: SinkEntry): void {
    if (e.cursor === undefined || !e.behind || !store.feedAfter) return;
    while (!e.removed && !e.busy && !(peopleFacing(e) && quietNow())) {
      let page: ReturnType<NonNullable<StateStore['feedAfter']>>;
      try {
        page = store.feedAfter(e.cursor, CATCH_UP_PAGE);
      } catch (err) {
        log.error({ err, sink: e.sink.name }, 'could not read the feed to catch a subscriber up');
        return;
      }
      if (page.length === 0) {
        e.behind = false;
        return;
      }
      for (const entry of page) {
        if (e.removed || e.busy) return;
        e.cursor = entry.seq;
        // Live, people-facing sinks got nothing of it (paused, quiet-dropped): neither now.
        if (entry.people) deliverTo(e, entry.signal);
      }
    }
  }

  /**
   * Writes the hand-off of closed windows (store.handOff: outbox ack + feed + ledgers, one
   * transaction) and returns each signal's feed seq: 0 for one handed on before (it goes to
   * nobody again), undefined when the store keeps no feed or the write failed (then the signals
   * go out without it and their outbox rows stay pending: at least once, never lost).
   */
  function handOff(
    ids: string[],
    plan: { signal: ChangeSignal; route: Route; people: boolean }[],
  ): (number | undefined)[] {
    if (!store.handOff) {
      ack(ids);
      return plan.map(() => undefined);
    }
    const ledger: { sink: string; signal: ChangeSignal }[] = [];
    for (const p of plan)
      for (const e of sinks)
        if (e.ledger && !e.removed && (!p.route || p.route.has(e.sink.name)))
          ledger.push({ sink: e.sink.name, signal: p.signal });
    try {
      return store.handOff({
        ack: ids,
        feed: plan.map((p) => ({ signal: p.signal, people: p.people })),
        ledger,
      });
    } catch (err) {
      log.error(
        { err, count: ids.length },
        'could not write the hand-off; the signals come again on the next start',
      );
      return plan.map(() => undefined);
    }
  }

  function dispatch(signal: ChangeSignal, route: Route, seq?: number): void {
    if (seq === 0) return; // handed on before (a replay after a crash): nobody gets it twice
    const paused = isPaused(pausedUntil, clock.now());
    const quiet = quietNow();
    // A snapshot: a sink may remove itself (or another) from inside deliver(), e.g. an IPC
    // client dropped for being too slow.
    for (const e of [...sinks]) {
      if (e.removed) continue;
      if (e.role !== 'subscriber' && route && !route.has(e.sink.name)) continue;
      if (e.ledger) {
        // Its ledger entry is written (handOff): this only wakes the sink. Without a seq the
        // write failed and the entry does not exist; the outbox brings the signal back.
        if (seq !== undefined) deliverTo(e, signal);
        continue;
      }
      if (e.cursor !== undefined && seq !== undefined) {
        if (e.behind) continue; // catches up from the feed, in order
        if (paused || (quiet && settings.quietHours?.during === 'drop')) {
          e.cursor = seq;
          emit(hubChannels.drop, () => ({ signal, reason: paused ? 'paused' : 'quiet', sink: e.sink.name }));
          continue;
        }
        if (e.busy || quiet) {
          e.behind = true;
          emit(hubChannels.hold, () => ({ signal, sink: e.sink.name, reason: e.busy ? 'busy' : 'quiet' }));
          continue;
        }
        e.cursor = seq;
        deliverTo(e, signal);
        continue;
      }
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
    const plan: { signal: ChangeSignal; route: Route; people: boolean }[] = [];
    const paused = isPaused(pausedUntil, clock.now());
    const dropQuiet = settings.quietHours?.during === 'drop' && quietNow();
    for (const b of batches) {
      if (signalSize(b.signal) === 0) {
        // Everything in the window cancelled out (added, then removed).
        emit(hubChannels.drop, () => ({ signal: b.signal, reason: 'empty' }));
      } else {
        plan.push({ signal: b.signal, route: b.tag, people: !paused && !dropQuiet });
      }
      handled.push(...b.ids);
    }
    // First the hand-off is on disk, then sinks hear of it: a kill -9 in between loses nothing
    // (ledgers and the feed hold it under its one id), one before it repeats nothing (the
    // outbox rows are still pending and nobody saw them).
    const seqs = handled.length > 0 || plan.length > 0 ? handOff(handled, plan) : [];
    for (const [i, p] of plan.entries()) dispatch(p.signal, p.route, seqs[i]);
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
    addSink(sink, replay?: ReplayFrom) {
      const role = sink.role ?? 'subscriber';
      const feed =
        role === 'subscriber' && store.handOff && store.feedAfter && store.feedLatest && store.feedSeq;
      const e: SinkEntry = {
        sink,
        role,
        busy: false,
        held: new FolderSlots(settings.maxItems),
        removed: false,
        ledger: false,
        cursor: undefined,
        behind: false,
      };
      if (feed) {
        // Where this subscriber starts in the feed: now, or where its replay asks.
        try {
          const last = store.feedLatest?.(1)[0]?.seq ?? 0;
          let from = last;
          if (replay?.after === FEED_START) {
            from = 0;
          } else if (replay?.after !== undefined) {
            const known = store.feedSeq?.(replay.after);
            from = known ?? (store.feedLatest?.(UNKNOWN_CURSOR_REPLAY)[0]?.seq ?? 1) - 1;
          } else if (replay?.latest) {
            from = (store.feedLatest?.(replay.latest)[0]?.seq ?? 1) - 1;
          }
          e.cursor = from;
          e.behind = from < last;
        } catch (err) {
          log.error(
            { err, sink: sink.name },
            'could not read the feed; this subscriber gets live signals only',
          );
        }
      }
      const ledger = store.handOff && store.ledgerOpen && store.ledgerBegin && store.ledgerDone;
      if (sink.attachLedger && ledger) {
        e.ledger = true;
        const name = sink.name;
        sink.attachLedger({
          open: (after, limit) => store.ledgerOpen?.(name, after, limit) ?? [],
          begin: (id, note) => store.ledgerBegin?.(name, id, note),
          done: (id) => store.ledgerDone?.(name, id),
          spoolDir: store.spoolDir,
        });
      }
      sinks.push(e);
      sink.onDrain?.(() => {
        e.busy = false;
        release(e);
      });
      // Synchronously, before any live signal can reach it: the replay, then live, no gap.
      catchUp(e);
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
    feedPosition() {
      if (!store.handOff || !store.feedLatest) return undefined;
      try {
        return store.feedLatest(1)[0]?.signal.id ?? FEED_START;
      } catch {
        return undefined;
      }
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
