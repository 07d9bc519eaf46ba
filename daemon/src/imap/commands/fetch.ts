import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { toImapError } from '../errors';
import type { BodyNode } from '../preview';
import type { FetchedMessage } from '../summary';

/** A message with what a summary and a preview need. */
export interface DetailedMessage extends FetchedMessage {
  bodyStructure?: BodyNode | undefined;
}

function asFetched(m: FetchMessageObject): DetailedMessage {
  return {
    uid: m.uid,
    ...(m.flags ? { flags: m.flags } : {}),
    ...(m.internalDate !== undefined ? { internalDate: m.internalDate } : {}),
    ...(m.envelope ? { envelope: m.envelope } : {}),
    ...(m.bodyStructure ? { bodyStructure: m.bodyStructure as BodyNode } : {}),
  };
}

/**
 * UID FETCH <from>:* (UID FLAGS): every new UID with its flags, small per message however many
 * arrived. The answer may include the newest older message (RFC 9051 §6.4.8: `n:*` with n above
 * every UID means the last one), which mailbox-state.ts filters out.
 */
export async function fetchFlagsFrom(
  c: Pick<ImapFlow, 'fetchAll'>,
  mailbox: string,
  fromUid: number,
): Promise<DetailedMessage[]> {
  try {
    const list = await c.fetchAll(`${fromUid}:*`, { uid: true, flags: true }, { uid: true });
    return list.map(asFetched);
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
}

/** UID FETCH <uids> (UID FLAGS INTERNALDATE ENVELOPE BODYSTRUCTURE) for the mail to announce. */
export async function fetchDetails(
  c: Pick<ImapFlow, 'fetchAll'>,
  mailbox: string,
  uids: readonly number[],
): Promise<DetailedMessage[]> {
  if (uids.length === 0) return [];
  try {
    const list = await c.fetchAll(
      uids.join(','),
      { uid: true, flags: true, internalDate: true, envelope: true, bodyStructure: true },
      { uid: true },
    );
    return list.map(asFetched);
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
}

/** BODY.PEEK[section]<0.bytes> of one message: the start of its first text part, never \Seen. */
export async function fetchPartPrefix(
  c: Pick<ImapFlow, 'fetchOne'>,
  mailbox: string,
  uid: number,
  section: string,
  bytes: number,
): Promise<Buffer | undefined> {
  try {
    const m = await c.fetchOne(
      String(uid),
      { bodyParts: [{ key: section, start: 0, maxLength: bytes }] },
      { uid: true },
    );
    if (!m) return undefined;
    const parts = m.bodyParts;
    if (!parts) return undefined;
    for (const [key, value] of parts) if (key.toLowerCase() === section.toLowerCase()) return value;
    return parts.values().next().value;
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
}
