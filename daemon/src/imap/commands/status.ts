import type { ImapFlow } from 'imapflow';
import { ImapError, toImapError } from '../errors';
import type { MailboxStatus } from '../mailbox-state';

/**
 * STATUS (MESSAGES UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]) of one mailbox: the cheap question every
 * check starts with (RFC 9051 §6.3.11, RFC 7162 §3.1.6). A mailbox that does not exist is
 * IMAP_ERR_NO_MAILBOX, so the session can drop it and keep the others.
 */
export async function mailboxStatus(
  c: Pick<ImapFlow, 'status'>,
  path: string,
  condstore: boolean,
): Promise<MailboxStatus> {
  let st: Awaited<ReturnType<ImapFlow['status']>>;
  try {
    st = await c.status(path, { messages: true, uidNext: true, uidValidity: true, highestModseq: condstore });
  } catch (err) {
    throw toImapError(err, { command: 'STATUS', mailbox: path });
  }
  // imapflow answers false for a NO it could not explain (the name exists): the server refused.
  if (!st)
    throw new ImapError('IMAP_ERR_COMMAND', `STATUS of ${path} was refused by the server`, {
      command: 'STATUS',
      mailbox: path,
    });
  if (st.messages === undefined || st.uidNext === undefined || st.uidValidity === undefined)
    throw new ImapError('IMAP_ERR_PROTOCOL', `STATUS of ${path} lacks MESSAGES, UIDNEXT or UIDVALIDITY`, {
      command: 'STATUS',
      mailbox: path,
    });
  return {
    messages: st.messages,
    uidNext: st.uidNext,
    uidValidity: String(st.uidValidity),
    ...(st.highestModseq !== undefined ? { highestModseq: String(st.highestModseq) } : {}),
  };
}
