import type { ChangeSignal } from '../signal';

/** What one watcher step changes, written atomically (all of it or none). */
export interface StateChange {
  /** Account-scoped JSON values to set (sync keys, folder lists, learned heartbeats …). */
  set?: Record<string, unknown>;
  /** Account-scoped keys to delete. */
  delete?: string[];
  /**
   * Signals to append to the outbox. A signal whose id was committed before is dropped, so a
   * replayed step after a crash never announces twice.
   */
  signals?: ChangeSignal[];
}

/** A signal as the hub handed it on (coalesced): what subscribers' cursors walk. */
export interface FeedEntry {
  /** Order of hand-off; a cursor is the seq of the last entry a subscriber saw. */
  seq: number;
  signal: ChangeSignal;
  /**
   * False when people-facing sinks did not get it (pause, quiet hours with `drop`): a
   * subscriber catching up skips it, as it would have live.
   */
  people: boolean;
}

/** One delivery a durable sink (exec hook, webhook) owes, kept until the sink is done with it. */
export interface LedgerEntry {
  seq: number;
  sink: string;
  signal: ChangeSignal;
  /** `running`: an attempt began (a hook was started, a POST sent) before the last exit or now. */
  state: 'pending' | 'running';
  /** Attempts begun so far. */
  attempts: number;
  /** What the sink noted when the attempt began (a hook's status file), JSON. */
  note: string | undefined;
}

/**
 * What the hub writes when a coalesce window closes, in ONE transaction: the outbox ids it
 * stands for are acked, the coalesced signal goes into the feed, and one ledger entry per
 * durable sink it is routed to. A kill -9 before the transaction leaves the outbox ids pending
 * (the next start hands them on again — nobody saw them); after it, the feed and ledgers hold
 * the signal under its one id, whatever happens next. That is what makes "0 lost, 0 repeated"
 * hold for sinks and subscribers, not only for the store.
 */
export interface HandOff {
  ack: readonly string[];
  feed: readonly { signal: ChangeSignal; people: boolean }[];
  ledger: readonly { sink: string; signal: ChangeSignal }[];
}

/**
 * The daemon's crash-safe state. The transactional outbox is what makes "nothing twice,
 * nothing missed" hold across kill -9: a watcher commits the new sync key together with the
 * signals it produced; the hub delivers pending signals and acks them; on restart the
 * unacked ones are delivered again.
 */
export interface StateStore {
  get<T = unknown>(accountId: string, key: string): T | undefined;
  /** Returns the signals that were new (not duplicates), in order. */
  commit(accountId: string, change: StateChange): ChangeSignal[];
  /**
   * The same, as a group commit: every commitSoon of one event-loop turn is written by one
   * transaction when the turn ends (store/commit-queue.ts). Resolves like commit() once that
   * transaction holds, rejects with its error. Any other call that reads or writes what is
   * queued (get of that account, commit, pending, recent, deleteAccount, close) writes the
   * queue first, so writes keep the order of the calls.
   */
  commitSoon(accountId: string, change: StateChange): Promise<ChangeSignal[]>;
  /** Committed, not yet acknowledged signals, oldest first. */
  pending(limit?: number): ChangeSignal[];
  /**
   * Marks signals as delivered. May be written lazily (the SQLite store: with the next commit,
   * or within 100 ms); `pending()` always reflects it, and a crash before the write only
   * delivers those signals again, with their ids.
   */
  ack(ids: readonly string[]): void;
  /** Forgets everything of an account (AccountOnlyRemoteWipe, `account remove`). */
  deleteAccount(accountId: string): void;
  /**
   * The latest signals whose payload is still kept (delivered or not), oldest first — what
   * `subscribe { replay: true }` sends. Optional so hand-written test doubles stay valid.
   */
  recent?(limit: number): ChangeSignal[];
  /**
   * Writes a {@link HandOff} in one transaction (queued commits and acks first). Returns, per
   * feed entry, its seq — or 0 when the id was in the feed already (handed on before: the hub
   * then delivers it to nobody). Optional, like the rest of the feed and ledger, so
   * hand-written test doubles stay valid; the hub falls back to plain acks without it.
   */
  handOff?(h: HandOff): number[];
  /** Feed entries after `afterSeq`, oldest first, at most `limit`. */
  feedAfter?(afterSeq: number, limit: number): FeedEntry[];
  /** The latest `limit` feed entries, oldest first (`subscribe { replay: true }`). */
  feedLatest?(limit: number): FeedEntry[];
  /** The seq of a feed entry by signal id; undefined when unknown or pruned. */
  feedSeq?(id: string): number | undefined;
  /** A durable sink's open deliveries after `afterSeq`, oldest first, at most `limit`. */
  ledgerOpen?(sink: string, afterSeq: number, limit: number): LedgerEntry[];
  /** Notes, synchronously and durably, that an attempt begins. */
  ledgerBegin?(sink: string, id: string, note?: string): void;
  /** Removes a delivery the sink is done with (delivered, or given up), synchronously. */
  ledgerDone?(sink: string, id: string): void;
  /** A directory next to the store where durable sinks keep files across restarts. */
  readonly spoolDir?: string;
  /**
   * Applies retention: drops payloads of signals delivered longer ago than the payload window
   * and forgets ids delivered longer ago than the de-dup window. Pending signals are never pruned.
   */
  prune?(): void;
  close(): void;
}

/** Retention windows shared by every implementation (docs/daemon-state.md, "Retention"). */
export interface RetentionOptions {
  /** How long a delivered signal's payload is kept for replay, ms. Default 1 day. */
  keepPayloadMs?: number;
  /**
   * How long a delivered signal's id is kept to drop a replayed commit, ms. Default 30 days:
   * far longer than any crash-and-replay window, short enough that the table stays small.
   */
  keepIdsMs?: number;
  /** Clock, ms since the epoch; injected for tests. */
  now?: () => number;
}

export const DEFAULT_KEEP_PAYLOAD_MS = 24 * 3600_000;
export const DEFAULT_KEEP_IDS_MS = 30 * 24 * 3600_000;
