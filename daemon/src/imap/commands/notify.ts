import { ImapError, toImapError } from '../errors';
import type { RawConnection, RawToken, RawUntagged } from '../raw';
import { tokenText } from '../raw';

const atom = (value: string): RawToken => ({ type: 'ATOM', value });
const str = (value: string): RawToken => ({ type: 'STRING', value });

/**
 * The NOTIFY SET arguments (RFC 5465 §3.1): new and expunged mail (and flags) of the selected
 * mailbox, and new and expunged mail of every watched mailbox when it is not the selected one —
 * the server then answers with an unsolicited STATUS for those (§5.2). MessageNew needs
 * MessageExpunge beside it (§5.2), FlagChange needs both (§5.3). Pure.
 */
export function notifySetArgs(mailboxes: readonly string[]): RawToken[] {
  const args: RawToken[] = [
    atom('SET'),
    [atom('SELECTED'), [atom('MessageNew'), atom('MessageExpunge'), atom('FlagChange')]],
  ];
  if (mailboxes.length > 0)
    args.push([
      atom('MAILBOXES'),
      mailboxes.map(str),
      // FlagChange: read elsewhere (a STATUS with the new HIGHESTMODSEQ). MailboxName: a watched
      // mailbox deleted or renamed arrives as LIST (§5.4), so it is noticed at once.
      [atom('MessageNew'), atom('MessageExpunge'), atom('FlagChange'), atom('MailboxName')],
    ]);
  return args;
}

/** Sends NOTIFY SET; a server that refuses it (NO [NOTIFICATIONOVERFLOW], BAD) is IMAP_ERR_COMMAND. */
export async function notifySet(c: RawConnection, mailboxes: readonly string[]): Promise<void> {
  try {
    const r = await c.exec('NOTIFY', notifySetArgs(mailboxes));
    r.next();
  } catch (err) {
    throw toImapError(err, { command: 'NOTIFY' });
  }
}

/**
 * The mailbox named by an unsolicited `* STATUS <mailbox> (...)` (RFC 5465 §5.2), as sent
 * (modified UTF-7 for non-ASCII names: the caller compares loosely). Pure.
 */
export function statusMailbox(untagged: RawUntagged): string | undefined {
  return tokenText(untagged.attributes?.[0]);
}

/** Installs the handlers for what NOTIFY sends outside any command; returns the uninstaller. */
export function onNotifications(
  c: RawConnection,
  handlers: { status(mailbox: string | undefined): void; list(): void },
): () => void {
  const before = { STATUS: c.untaggedHandlers.STATUS, LIST: c.untaggedHandlers.LIST };
  c.untaggedHandlers.STATUS = (u) => handlers.status(statusMailbox(u));
  // MailboxName events (a watched mailbox renamed or deleted) arrive as LIST (§5.4).
  c.untaggedHandlers.LIST = () => handlers.list();
  return () => {
    c.untaggedHandlers.STATUS = before.STATUS;
    c.untaggedHandlers.LIST = before.LIST;
  };
}

/** Whether an error is the server refusing NOTIFY (so the session falls back to IDLE + STATUS). */
export function notifyRefused(err: unknown): boolean {
  return err instanceof ImapError && err.code === 'IMAP_ERR_COMMAND' && err.context.command === 'NOTIFY';
}
