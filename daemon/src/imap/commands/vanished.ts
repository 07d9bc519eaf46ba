import { toImapError } from '../errors';
import type { RawConnection, RawToken, RawUntagged } from '../raw';
import { tokenText } from '../raw';
import { decodeUids } from '../uid-set';

/**
 * The UIDs expunged since a HIGHESTMODSEQ, from the server (RFC 7162 §3.2.6): UID FETCH <known>
 * (UID) (CHANGEDSINCE <modseq> VANISHED) answers `* VANISHED (EARLIER) <uids>` — a cost of the
 * changes, not of the mailbox, where UID SEARCH ALL lists every UID. Needs ENABLE QRESYNC (imapflow
 * sends it with `qresync: true`). The flag changes the same command reports are ignored.
 */
export async function fetchVanished(
  c: RawConnection,
  mailbox: string,
  knownSet: string,
  modseq: string,
  cap = 1_000_000,
): Promise<number[]> {
  if (knownSet === '') return [];
  const out: number[] = [];
  const attrs: RawToken[] = [
    { type: 'SEQUENCE', value: knownSet },
    [{ type: 'ATOM', value: 'UID' }],
    [
      { type: 'ATOM', value: 'CHANGEDSINCE' },
      { type: 'ATOM', value: modseq },
      { type: 'ATOM', value: 'VANISHED' },
    ],
  ];
  try {
    const r = await c.exec('UID FETCH', attrs, {
      untagged: {
        VANISHED: (u) => {
          out.push(...parseVanished(u, cap - out.length));
        },
        FETCH: () => undefined,
      },
    });
    r.next();
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
  return out;
}

/** `* VANISHED (EARLIER) 3:5,9` → [3, 4, 5, 9]; at most `cap` UIDs (checked before expanding). Pure. */
export function parseVanished(u: RawUntagged, cap = 1_000_000): number[] {
  const attrs = u.attributes ?? [];
  const set = tokenText(Array.isArray(attrs[0]) ? attrs[1] : attrs[0]);
  if (!set) return [];
  return decodeUids(set, Math.max(0, cap));
}
