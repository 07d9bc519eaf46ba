import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary } from '../signal';
import type { MailboxState } from './mailbox-state';

/** The last path segment a person recognises ("Lists/dev" → "dev"); INBOX as "Inbox". */
export function mailboxLabel(path: string, delimiter = '/'): string {
  if (path.toUpperCase() === 'INBOX') return 'Inbox';
  const parts = path.split(delimiter);
  return parts[parts.length - 1] || path;
}

/** What one check found, as summaries. */
export interface MailboxChanges {
  added: ItemSummary[];
  /** Known mail whose flags changed (read or flagged elsewhere), with `unread` as it is now. */
  changed?: ItemSummary[];
  removed: ItemSummary[];
}

/**
 * The signal of one mailbox check, or undefined when it brought nothing to announce. The id is a
 * hash of account, mailbox and the stored state the check started from (UIDVALIDITY, UIDNEXT,
 * count, HIGHESTMODSEQ) plus the UIDs it touched: a replay after kill -9 (same stored state,
 * same changes) gives the same id and the store drops it.
 */
export function mailboxSignal(
  accountId: string,
  mailbox: string,
  from: Pick<MailboxState, 'uidValidity' | 'uidNext' | 'messages' | 'modseq'>,
  items: MailboxChanges,
  observedAt: Date,
  fromTag = '',
): ChangeSignal | undefined {
  const changed = items.changed ?? [];
  if (items.added.length + changed.length + items.removed.length === 0) return undefined;
  const h = createHash('sha256');
  h.update(
    `imap\u0000${accountId}\u0000${mailbox}\u0000${from.uidValidity}.${from.uidNext}.${from.messages}.${from.modseq ?? ''}${fromTag}`,
  );
  for (const i of items.added) h.update(`\u0000a${i.id}`);
  for (const i of changed) h.update(`\u0000c${i.id}`);
  for (const i of items.removed) h.update(`\u0000r${i.id}`);
  return {
    id: h.digest('hex').slice(0, 32),
    accountId,
    source: 'imap',
    collection: 'mail',
    folder: { id: mailbox, name: mailboxLabel(mailbox) },
    added: items.added,
    changed,
    removed: items.removed,
    observedAt: observedAt.toISOString(),
  };
}
