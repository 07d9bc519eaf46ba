import type { ImapFlow } from 'imapflow';
import { toImapError } from '../errors';

/**
 * UID SEARCH ALL of the selected mailbox (ESEARCH where offered, which imapflow asks for):
 * every UID present, to find what was expunged when the server has no QRESYNC, or to baseline.
 */
export async function searchAll(c: Pick<ImapFlow, 'search'>, mailbox: string): Promise<number[]> {
  try {
    const r = await c.search({ all: true }, { uid: true });
    return Array.isArray(r) ? r : [];
  } catch (err) {
    throw toImapError(err, { command: 'UID SEARCH', mailbox });
  }
}

/** UID SEARCH UNSEEN: the UIDVALIDITY reconcile looks at unread mail only. */
export async function searchUnseen(c: Pick<ImapFlow, 'search'>, mailbox: string): Promise<number[]> {
  try {
    const r = await c.search({ seen: false }, { uid: true });
    return Array.isArray(r) ? r : [];
  } catch (err) {
    throw toImapError(err, { command: 'UID SEARCH', mailbox });
  }
}
