import { normalizeEtag } from './etag';
import { canonicalHref } from './href';
import type { Send } from './request';
import { okProps, parseMultistatus, text } from './xml';

/**
 * For servers without sync-collection: list every member's ETag with one PROPFIND Depth: 1
 * (RFC 4918 §9.1) and diff against what we stored. Run only when the ctag moved, or on every
 * check when the server offers neither token nor ctag.
 */
export async function listEtags(send: Send, collection: URL): Promise<Map<string, string>> {
  const res = await send({
    method: 'PROPFIND',
    url: collection,
    headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>',
  });
  const out = new Map<string, string>();
  for (const r of parseMultistatus(res.body, { url: collection.href }).responses) {
    const href = canonicalHref(r.href, res.url);
    if (href.endsWith('/')) continue; // the collection itself and sub-collections
    const etag = normalizeEtag(text(okProps(r).getetag));
    if (etag !== undefined) out.set(href, etag);
  }
  return out;
}

export interface EtagDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Pure: what changed between the stored ETags and the listed ones. */
export function diffEtags(
  before: ReadonlyMap<string, string | undefined>,
  now: ReadonlyMap<string, string>,
): EtagDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [href, etag] of now) {
    if (!before.has(href)) added.push(href);
    else if (before.get(href) !== etag) changed.push(href);
  }
  for (const href of before.keys()) if (!now.has(href)) removed.push(href);
  return { added, changed, removed };
}
