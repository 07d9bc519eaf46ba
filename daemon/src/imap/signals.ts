import { createHash } from 'node:crypto';
import type { ChangeSignal, ItemSummary } from '../signal';
import type { MailboxState } from './mailbox-state';

/** The last path segment a person recognises ("Lists/dev" → "dev"); INBOX as "Inbox". */
export function mailboxLabel(path: string, delimiter = '/'): string {
  if (path.toUpperCase() === 'INBOX') return 'Inbox';
  const parts = path.split(delimiter);
  return parts[parts.length - 1] || path;
}

/**
 * The signal of one mailbox check, or undefined when it brought nothing to announce. The id is a
 * hash of account, mailbox and the stored state the check started from (UIDVALIDITY, UIDNEXT,
 * count) plus the UIDs it touched: a replay after kill -9 (same stored state, same changes)
 * gives the same id and the store drops it.
 */
export function mailboxSignal(
  accountId: string,
  mailbox: string,
  from: Pick<MailboxState, 'uidValidity' | 'uidNext' | 'messages'>,
  added: ItemSummary[],
  removed: ItemSummary[],
  observedAt: Date,
  fromTag = '',
): ChangeSignal | undefined {
  if (added.length + removed.length === 0) return undefined;
  const h = createHash('sha256');
  h.update(
    `imap\u0000${accountId}\u0000${mailbox}\u0000${from.uidValidity}.${from.uidNext}.${from.messages}${fromTag}`,
  );
  for (const i of added) h.update(`\u0000a${i.id}`);
  for (const i of removed) h.update(`\u0000r${i.id}`);
  return {
    id: h.digest('hex').slice(0, 32),
    accountId,
    source: 'imap',
    collection: 'mail',
    folder: { id: mailbox, name: mailboxLabel(mailbox) },
    added,
    changed: [],
    removed,
    observedAt: observedAt.toISOString(),
  };
}
