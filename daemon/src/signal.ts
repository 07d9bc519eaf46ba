/**
 * The ChangeSignal contract (../../docs/ARCHITECTURE.md, "Contracts"): one per folder and burst.
 * Keep it stable: the tray, `tidings watch --json`, hooks and webhooks all read it.
 */
export type SignalSource = 'eas' | 'caldav' | 'carddav' | 'imap' | 'jmap';
export type Collection = 'mail' | 'calendar' | 'contacts' | 'tasks';

/** What kind of calendar change this is, as a person would say it. */
export type EventKind = 'invitation' | 'new' | 'updated' | 'moved' | 'cancelled';

export interface ItemSummary {
  /** Server id of the item (EAS ServerId, DAV href). */
  id: string;
  /** Mail subject, event title, contact display name, task title. */
  title?: string;
  /** Mail sender ("Name <addr>") or event organizer. */
  from?: string;
  /** ISO 8601: mail received time or event start. */
  start?: string;
  /** ISO 8601 event end. */
  end?: string;
  location?: string;
  /** A short plain-text preview (≤ 200 chars). */
  preview?: string;
  /** Calendar only: invitation, update, move or cancellation. */
  kind?: EventKind;
  /** Mail only: unread at the time of the signal. */
  unread?: boolean;
}

export interface ChangeSignal {
  /** Stable id: the same change gives the same id across restarts (used for de-duplication). */
  id: string;
  accountId: string;
  source: SignalSource;
  collection: Collection;
  folder: { id: string; name: string };
  added: ItemSummary[];
  changed: ItemSummary[];
  removed: ItemSummary[];
  /** ISO 8601 time the daemon observed the change. */
  observedAt: string;
}

/** Total number of items a signal carries. */
export function signalSize(s: ChangeSignal): number {
  return s.added.length + s.changed.length + s.removed.length;
}
