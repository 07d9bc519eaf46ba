import { toImapError } from '../errors';
import type { RawConnection, RawToken, RawUntagged } from '../raw';
import { tokenText } from '../raw';

/** Most flag changes reported per check: marking a whole mailbox read is one signal, not 10 000 items. */
export const MAX_FLAG_CHANGES = 500;

/**
 * Known messages whose flags changed since a HIGHESTMODSEQ (RFC 7162 §3.1.4): UID FETCH <known>
 * (UID FLAGS) (CHANGEDSINCE <modseq>) — read or flagged in another client. Through the raw path
 * so the answer is ours, not imapflow's 'flags' events. At most `cap` entries.
 */
export async function fetchFlagChanges(
  c: RawConnection,
  mailbox: string,
  knownSet: string,
  modseq: string,
  cap = MAX_FLAG_CHANGES,
): Promise<{ uid: number; flags: Set<string> }[]> {
  if (knownSet === '') return [];
  const out: { uid: number; flags: Set<string> }[] = [];
  const attrs: RawToken[] = [
    { type: 'SEQUENCE', value: knownSet },
    [
      { type: 'ATOM', value: 'UID' },
      { type: 'ATOM', value: 'FLAGS' },
    ],
    [
      { type: 'ATOM', value: 'CHANGEDSINCE' },
      { type: 'ATOM', value: modseq },
    ],
  ];
  try {
    const r = await c.exec('UID FETCH', attrs, {
      untagged: {
        FETCH: (u) => {
          const p = parseFlagsFetch(u);
          if (p && out.length < cap) out.push(p);
        },
      },
    });
    r.next();
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
  return out;
}

/** `* n FETCH (UID u FLAGS (\Seen) MODSEQ (m))` → uid and flags. Pure. */
export function parseFlagsFetch(u: RawUntagged): { uid: number; flags: Set<string> } | undefined {
  const list = u.attributes?.[1];
  if (!Array.isArray(list)) return undefined;
  let uid: number | undefined;
  let flags: Set<string> | undefined;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = tokenText(list[i])?.toUpperCase();
    const value = list[i + 1];
    if (key === 'UID') uid = Number(tokenText(value));
    else if (key === 'FLAGS' && Array.isArray(value))
      flags = new Set(value.map((t) => tokenText(t)).filter((f): f is string => f !== undefined));
  }
  if (uid === undefined || !Number.isInteger(uid) || !flags) return undefined;
  return { uid, flags };
}
