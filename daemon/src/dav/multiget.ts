import type { DavCollection } from './collection';
import { normalizeEtag } from './etag';
import { canonicalHref } from './href';
import type { Send } from './request';
import { escapeXml, okProps, parseMultistatus, text } from './xml';

/** An item's content as the multiget returned it. */
export interface FetchedItem {
  href: string;
  etag?: string;
  /** iCalendar (RFC 5545) or vCard (RFC 6350) text; absent when the server had no data. */
  data?: string;
}

/** Hrefs per request: large enough for one round trip in normal bursts, small enough for the body cap. */
export const MULTIGET_BATCH = 100;

/** RFC 4791 §7.9 calendar-multiget or RFC 6352 §8.7 addressbook-multiget body. */
export function multigetBody(type: DavCollection['type'], hrefs: readonly string[]): string {
  const card = type === 'contacts';
  const ns = card ? 'urn:ietf:params:xml:ns:carddav' : 'urn:ietf:params:xml:ns:caldav';
  const root = card ? 'addressbook-multiget' : 'calendar-multiget';
  const data = card ? 'address-data' : 'calendar-data';
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<X:${root} xmlns:D="DAV:" xmlns:X="${ns}">` +
    `<D:prop><D:getetag/><X:${data}/></D:prop>` +
    hrefs.map((h) => `<D:href>${escapeXml(h)}</D:href>`).join('') +
    `</X:${root}>`
  );
}

/** Fetches the given members' data and ETags in batches of MULTIGET_BATCH. */
export async function multiget(
  send: Send,
  collection: URL,
  type: DavCollection['type'],
  hrefs: readonly string[],
): Promise<Map<string, FetchedItem>> {
  const out = new Map<string, FetchedItem>();
  for (let i = 0; i < hrefs.length; i += MULTIGET_BATCH) {
    const batch = hrefs.slice(i, i + MULTIGET_BATCH);
    const res = await send({
      method: 'REPORT',
      url: collection,
      headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
      body: multigetBody(type, batch),
    });
    const ms = parseMultistatus(res.body, { url: collection.href });
    for (const r of ms.responses) {
      const props = okProps(r);
      const href = canonicalHref(r.href, res.url);
      const item: FetchedItem = { href };
      const etag = normalizeEtag(text(props.getetag));
      if (etag !== undefined) item.etag = etag;
      const data = text(props['calendar-data'] ?? props['address-data']);
      if (data !== undefined) item.data = data;
      out.set(href, item);
    }
  }
  return out;
}
