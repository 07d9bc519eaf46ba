import { DavError } from './errors';
import { normalizeEtag } from './etag';
import { canonicalHref, collectionHref } from './href';
import type { Send } from './request';
import { escapeXml, type Multistatus, okProps, parseMultistatus, text } from './xml';

/** A member that was added or changed since the token, with its new ETag. */
export interface MemberEtag {
  href: string;
  etag?: string;
}

export interface SyncDelta {
  /** The token to send next time (RFC 6578 §6.4). */
  token: string;
  changed: MemberEtag[];
  removed: string[];
}

/** Rounds of a truncated result we follow before giving up (RFC 6578 §3.6). */
const MAX_ROUNDS = 50;

/**
 * RFC 6578 §3.2 request body. An empty token is the initial synchronisation (§3.4): the server
 * lists every member, which is how a baseline is taken.
 */
export function syncCollectionBody(token: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<D:sync-collection xmlns:D="DAV:">' +
    `<D:sync-token>${escapeXml(token)}</D:sync-token>` +
    '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>' +
    '</D:sync-collection>'
  );
}

/**
 * Runs REPORT sync-collection from `token` ('' for a baseline), following truncated results
 * (507 on the request URI, RFC 6578 §3.6) until the server has nothing more. An invalid token
 * surfaces as DAV_ERR_INVALID_SYNC_TOKEN from the status wrapper.
 */
export async function syncCollection(
  send: Send,
  url: URL,
  token: string,
  opts: { fallbackToken?: string } = {},
): Promise<SyncDelta> {
  const changed = new Map<string, MemberEtag>();
  const removed = new Set<string>();
  let current = token;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = await send({
      method: 'REPORT',
      url,
      // RFC 6578 §3.2: the report is defined for Depth: 0 only.
      headers: { depth: '0', 'content-type': 'application/xml; charset=utf-8' },
      body: syncCollectionBody(current),
    });
    const page = parseSyncResponse(parseMultistatus(res.body, { url: url.href }), res.url);
    if (page.token === undefined) {
      // RFC 6578 §3.2 makes DAV:sync-token mandatory, but some servers leave it out (seen with
      // DAViCal and Zimbra in DAVx5's and vdirsyncer's trackers). The home PROPFIND's token was
      // read before this report, so storing it can only repeat a change (which the stored ETags
      // then drop), never skip one. A truncated page without a token cannot be continued.
      if (opts.fallbackToken === undefined || page.truncated) {
        throw new DavError('DAV_ERR_BAD_MULTISTATUS', 'sync-collection answer without DAV:sync-token', {
          method: 'REPORT',
          url: url.href,
        });
      }
      page.token = opts.fallbackToken;
    }
    for (const c of page.changed) {
      removed.delete(c.href);
      changed.set(c.href, c);
    }
    for (const h of page.removed) {
      changed.delete(h);
      removed.add(h);
    }
    if (page.truncated && page.token === current && page.changed.length + page.removed.length === 0) {
      // A 507 page that moves neither the token nor lists anything would loop for MAX_ROUNDS.
      throw new DavError('DAV_ERR_BAD_MULTISTATUS', 'sync-collection truncated without progress', {
        method: 'REPORT',
        url: url.href,
      });
    }
    current = page.token;
    if (!page.truncated) return { token: current, changed: [...changed.values()], removed: [...removed] };
  }
  throw new DavError(
    'DAV_ERR_BAD_MULTISTATUS',
    `sync-collection still truncated after ${MAX_ROUNDS} rounds`,
    {
      method: 'REPORT',
      url: url.href,
    },
  );
}

/** Pure: one sync-collection multistatus → changed members, removed members, token (if sent), truncation. */
export function parseSyncResponse(
  ms: Multistatus,
  base: URL,
): Omit<SyncDelta, 'token'> & { token: string | undefined; truncated: boolean } {
  const self = collectionHref(base.pathname, base);
  const changed: MemberEtag[] = [];
  const removed: string[] = [];
  let truncated = false;
  for (const r of ms.responses) {
    const href = canonicalHref(r.href, base);
    if (href === self || `${href}/` === self) {
      // §3.6: 507 on the collection itself means "more to come".
      if (r.status === 507) truncated = true;
      continue;
    }
    // §3.5.2: a removed member is a response with status 404 and no propstat. Only the
    // response-level status counts: a 404 *propstat* is a property the member lacks (Radicale
    // answers resourcetype so), not a deletion; sabre/dav (Nextcloud, Baïkal) adds an empty 418
    // propstat to its 404s (sabre-io/dav#1436); some servers say 410 Gone.
    if (r.status === 404 || r.status === 410) {
      removed.push(href);
      continue;
    }
    if (href.endsWith('/')) continue; // sub-collections are not items (sync-level 1)
    const etag = normalizeEtag(text(okProps(r).getetag));
    changed.push(etag === undefined ? { href } : { href, etag });
  }
  return { token: ms.syncToken, changed, removed, truncated };
}
