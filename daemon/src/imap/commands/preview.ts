import { toImapError } from '../errors';
import { tidyPreview } from '../preview';
import type { RawConnection, RawToken, RawUntagged } from '../raw';
import { tokenText } from '../raw';

/**
 * The server's own previews, one round trip for many messages: UID FETCH <uids> (UID PREVIEW)
 * per RFC 8970, or (UID SNIPPET (FUZZY)) for servers on the draft. NIL (no preview) is left out.
 */
export async function fetchServerPreviews(
  c: RawConnection,
  mailbox: string,
  uids: readonly number[],
  kind: 'PREVIEW' | 'SNIPPET',
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (uids.length === 0) return out;
  const item: RawToken[] =
    kind === 'PREVIEW'
      ? [{ type: 'ATOM', value: 'PREVIEW' }]
      : [{ type: 'ATOM', value: 'SNIPPET' }, [{ type: 'ATOM', value: 'FUZZY' }]];
  try {
    const r = await c.exec(
      'UID FETCH',
      [{ type: 'SEQUENCE', value: uids.join(',') }, [{ type: 'ATOM', value: 'UID' }, ...item]],
      {
        untagged: {
          FETCH: (u) => {
            const p = parsePreviewFetch(u);
            if (p?.preview !== undefined) out.set(p.uid, p.preview);
          },
        },
      },
    );
    r.next();
  } catch (err) {
    throw toImapError(err, { command: 'UID FETCH', mailbox });
  }
  return out;
}

/** `* n FETCH (UID u PREVIEW "text")` or `SNIPPET (FUZZY "text")` → uid and tidy preview. Pure. */
export function parsePreviewFetch(u: RawUntagged): { uid: number; preview?: string } | undefined {
  const list = u.attributes?.[1];
  if (!Array.isArray(list)) return undefined;
  let uid: number | undefined;
  let text: string | undefined;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = tokenText(list[i])?.toUpperCase();
    const value = list[i + 1];
    if (key === 'UID') uid = Number(tokenText(value));
    else if (key === 'PREVIEW') text = tokenText(value);
    else if (key === 'SNIPPET' && Array.isArray(value)) text = tokenText(value[1]);
  }
  if (uid === undefined || !Number.isInteger(uid)) return undefined;
  const preview = text === undefined ? undefined : tidyPreview(text);
  return preview === undefined ? { uid } : { uid, preview };
}
