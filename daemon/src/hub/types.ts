import type { ChangeSignal } from '../signal';
import type { LedgerEntry } from '../store/types';

/**
 * A destination for signals (IPC subscriber, desktop notifier, exec hook, webhook).
 * `deliver` takes the signal and returns false when the sink is now busy (like undici's
 * dispatch() → false, then 'drain'): the hub then coalesces further signals per folder for that
 * sink instead of queueing without bound, and resumes when the sink calls `onDrain`. A false
 * answer never means "not taken": the hub does not offer that signal again.
 */
export interface Sink {
  readonly name: string;
  /**
   * Who reads what this sink delivers, which decides the hub stages that apply. Default
   * `subscriber`.
   * - `subscriber`: IPC clients (tray, `tidings watch`): quiet hours and pause apply; a rule's
   *   `sinks` list does not (subscribers see every signal that is not muted).
   * - `notifier`: puts a notification in front of a person (desktop): quiet hours, pause and
   *   a rule's `sinks` list apply.
   * - `hook`: automation (exec hook, webhook): a rule's `sinks` list applies; quiet hours and
   *   pause do not — a server's scripts keep running at night.
   */
  readonly role?: SinkRole;
  deliver(signal: ChangeSignal): boolean;
  /** The hub registers a callback the sink calls when it can take more. */
  onDrain?(resume: () => void): void;
  close?(): Promise<void>;
  /**
   * Makes the sink durable (exec hooks, webhooks; issue 13 §7): the hub then writes each signal
   * routed to it into the store's ledger for this sink, in the same transaction as the outbox
   * ack, and calls this once when the sink is added (with a store that keeps ledgers). From
   * then on `deliver` only says "your ledger has a new entry": the sink works through its
   * ledger itself — oldest first, in pages, so it is never busy to the hub — notes each attempt
   * with `begin` before it starts and calls `done` when the entry is settled, and on attach
   * resumes what a previous life left open.
   */
  attachLedger?(ledger: SinkLedger): void;
}

/** A durable sink's view of its ledger in the store (hub/types.ts, `Sink.attachLedger`). */
export interface SinkLedger {
  /** Open entries after `afterSeq`, oldest first, at most `limit`. */
  open(afterSeq: number, limit: number): LedgerEntry[];
  /** Notes durably, before the attempt starts, that it starts (and what to find it by). */
  begin(id: string, note?: string): void;
  /** Settles an entry (delivered, or given up): it is never offered again. */
  done(id: string): void;
  /** A directory the sink may keep files in across restarts, or undefined (then a temp dir). */
  readonly spoolDir: string | undefined;
}

/** A cursor before the first feed entry (the feed was empty when the client subscribed). */
export const FEED_START = '^start';

/** How a subscriber added with {@link Hub.addSink} catches up from the feed. */
export interface ReplayFrom {
  /**
   * Everything handed on after this signal id (a client's cursor; {@link FEED_START}: all the
   * feed holds); an id the feed no longer knows → what is kept, up to 1 000.
   */
  after?: string;
  /** The latest `latest` signals handed on (`subscribe { replay: true }`). */
  latest?: number;
}

export type SinkRole = 'subscriber' | 'notifier' | 'hook';

/** The hub as watchers and the daemon see it. */
export interface Hub {
  /** Signals already committed to the store's outbox; the hub acks them once handed to sinks. */
  publish(signals: readonly ChangeSignal[]): void;
  /**
   * Adds a sink; returns its remover. A subscriber given `replay` first gets, synchronously and
   * under their live ids, what the feed holds from there on — then live signals, with no gap
   * and nothing twice.
   */
  addSink(sink: Sink, replay?: ReplayFrom): () => void;
}
