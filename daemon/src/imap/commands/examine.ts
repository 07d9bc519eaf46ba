import type { ImapFlow } from 'imapflow';
import { toImapError } from '../errors';

/**
 * EXAMINE a mailbox (read-only SELECT, RFC 9051 §6.3.3) unless it is the one selected: the
 * watcher never changes flags, so nothing it reads marks mail \Seen.
 */
export async function examine(c: Pick<ImapFlow, 'mailboxOpen' | 'mailbox'>, path: string): Promise<void> {
  if (c.mailbox && c.mailbox.path === path) return;
  try {
    await c.mailboxOpen(path, { readOnly: true });
  } catch (err) {
    throw toImapError(err, { command: 'EXAMINE', mailbox: path });
  }
}
