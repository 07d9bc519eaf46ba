import type { Logger } from 'pino';
import type { SecretSource } from '../secrets/types';
import type { ChangeSignal } from '../signal';
import type { StateStore } from '../store/types';

/** States a person sees in `tidings status` and the tray (DESIGN.md, "one watcher per account"). */
export type WatcherState =
  | 'connecting'
  | 'syncing'
  | 'waiting'
  | 'backing-off'
  | 'needs-credentials'
  /** The server moved the account to another origin (or to plain http): the user must accept it. */
  | 'needs-confirmation'
  | 'disabled'
  | 'stopped'
  /** The account cannot start (unreadable `tls.ca`, bad proxy URL, secret error): its detail says why. */
  | 'error';

export interface WatcherStatus {
  state: WatcherState;
  /** ISO time the state was entered. */
  since: string;
  /** Plain words for people: "Ping open, heartbeat 480 s", "HTTP 503, retrying". */
  detail?: string;
  /** ISO time of the next attempt when backing off. */
  retryAt?: string;
  lastError?: { code: string; message: string };
  /** Watched folders / collections. */
  folders?: { id: string; name: string; collection: string }[];
  /** needs-confirmation: where the server wants to move the account (not followed, not stored). */
  move?: { from: string; to: string };
}

export interface WatcherContext {
  accountId: string;
  store: StateStore;
  log: Logger;
  /** The secret named by the account's config. */
  secret: SecretSource;
  /**
   * Hands signals just committed to the store to the hub. Watchers call it only with what
   * `store.commit` returned, so the outbox stays the source of truth.
   */
  publish(signals: ChangeSignal[]): void;
  setStatus(status: WatcherStatus): void;
  /** Tells the user something that is not a change (remote wipe, policy we cannot honour). */
  notice?(message: { level: 'info' | 'warn' | 'error'; code: string; text: string }): void;
}

/** One supervised watcher per account. start() returns at once; stop() is idempotent. */
export interface Watcher {
  readonly accountId: string;
  start(): void;
  stop(): Promise<void>;
  status(): WatcherStatus;
  /** Network changed or the machine resumed from sleep: re-learn and reconnect now. */
  wake?(reason: 'network' | 'resume' | 'manual'): void;
  /**
   * `tidings check`: look at the server now, whatever the kind (watch/supervisor.ts): EAS syncs
   * every watched folder and Pings again, IMAP checks every watched mailbox, JMAP runs an
   * Email/changes round, DAV a check of every home; in a back-off or park it is the next attempt.
   * Resolves once that look is done (or failed, as status then says).
   */
  check?(): Promise<void>;
  /**
   * Follows the move the watcher waits on in needs-confirmation (stores the new address and
   * reconnects); returns it, or undefined when no move waits.
   */
  acceptMove?(): string | undefined;
  /**
   * Marks mail items read on the server, where the protocol allows it (EAS: a Sync carrying
   * `<Change><ApplicationData><Email:Read>1`, issue 16), serialised with the watcher's own Syncs
   * of that folder. Rejects with a coded error when nothing could be marked.
   */
  markRead?(folderId: string, itemIds: string[]): Promise<MarkReadResult>;
}

/** What `markRead` did: the items the server took, and those it answered with a failure Status. */
export interface MarkReadResult {
  marked: string[];
  failed: { id: string; status: number }[];
}

/**
 * What an OAuth2 account in needs-credentials asks of a person: no password to fix, a new
 * sign-in (the same command `tidings diagnose` names).
 */
export function signInAgain(accountId: string): string {
  return `Sign in again: tidings account login ${accountId}`;
}
