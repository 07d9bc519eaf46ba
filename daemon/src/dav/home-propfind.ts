import { collectionHref, canonicalHref } from './href';
import type { DavCollection } from './collection';
import type { Send } from './request';
import { serverDate } from './second-token';
import {
  asArray,
  childNames,
  hrefsOf,
  type Multistatus,
  okProps,
  parseMultistatus,
  text,
  type XmlNode,
} from './xml';

/**
 * WebDAV-Push draft namespaces: the current one and the `DAV:Push` of the first drafts, which
 * early server modules still use. Both are asked; a server answers 404 for the one it lacks.
 */
const PUSH_NS = 'xmlns:P="https://bitfire.at/webdav-push" xmlns:P0="DAV:Push"';

/**
 * How much a home PROPFIND asks. `full` reads what names and types each collection (displayname,
 * DAV:owner, RFC 4791 §5.2.3 supported-calendar-component-set); `markers` only what tells a change
 * (RFC 6578 §4 sync-token, calendarserver getctag) plus resourcetype, which is what an idle check
 * needs — the metadata comes from the last full listing (see mergeMarkers).
 */
export type HomeDetail = 'full' | 'markers';

/** The body of the one PROPFIND Depth: 1 per home and check. Push properties only when `withPush`. */
export function homePropfindBody(detail: HomeDetail, withPush = false): string {
  const full = detail === 'full';
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"${withPush ? ` ${PUSH_NS}` : ''}>` +
    '<D:prop><D:resourcetype/><D:sync-token/><CS:getctag/>' +
    (full ? '<D:displayname/><D:owner/><C:supported-calendar-component-set/>' : '') +
    (withPush ? '<P:push-transports/><P:topic/><P0:push-transports/><P0:topic/>' : '') +
    '</D:prop></D:propfind>'
  );
}

/** Runs the home PROPFIND and returns its calendar / address-book members. */
export async function propfindHome(
  send: Send,
  home: URL,
  opts: { detail?: HomeDetail; withPush?: boolean } = {},
): Promise<DavCollection[]> {
  const res = await send({
    method: 'PROPFIND',
    url: home,
    headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: homePropfindBody(opts.detail ?? 'full', opts.withPush ?? false),
  });
  return parseHomeCollections(
    parseMultistatus(res.body, { url: home.href }),
    res.url,
    serverDate(res.headers.date),
  );
}

/**
 * Pure: a markers-only listing completed from the last full one — name, type, owner and push
 * topic from `known`, change markers from `markers`. Undefined when a collection appeared that
 * the full listing did not have: the caller then asks for the full listing.
 */
export function mergeMarkers(
  known: ReadonlyMap<string, DavCollection>,
  markers: readonly DavCollection[],
): DavCollection[] | undefined {
  const out: DavCollection[] = [];
  for (const m of markers) {
    const k = known.get(m.href);
    if (k === undefined) return undefined;
    const { syncToken: _t, ctag: _c, listedAt: _l, ...meta } = k;
    out.push({
      ...meta,
      ...(m.syncToken !== undefined ? { syncToken: m.syncToken } : {}),
      ...(m.ctag !== undefined ? { ctag: m.ctag } : {}),
      ...(m.listedAt !== undefined ? { listedAt: m.listedAt } : {}),
    });
  }
  return out;
}

/**
 * Pure: the collections in a home's multistatus. The home itself and non-DAV members are skipped.
 * `listedAt` is the answer's server `Date`, kept with the markers it dates.
 */
export function parseHomeCollections(ms: Multistatus, base: URL, listedAt?: number): DavCollection[] {
  const out: DavCollection[] = [];
  for (const r of ms.responses) {
    const props = okProps(r);
    const kinds = childNames(props.resourcetype);
    const type = collectionType(kinds, props['supported-calendar-component-set']);
    if (type === undefined) continue;
    const href = collectionHref(r.href, base);
    const c: DavCollection = { href, name: text(props.displayname) ?? lastSegment(href), type };
    const token = text(props['sync-token']);
    if (token !== undefined) c.syncToken = token;
    const ctag = text(props.getctag);
    if (ctag !== undefined) c.ctag = ctag;
    const owner = hrefsOf(props.owner)[0];
    if (owner !== undefined) c.owner = canonicalHref(owner, base);
    const topic = text(props.topic);
    if (topic !== undefined && offersWebPush(props['push-transports'])) c.pushTopic = topic;
    if (listedAt !== undefined) c.listedAt = listedAt;
    out.push(c);
  }
  return out;
}

function collectionType(kinds: string[], comps: unknown): DavCollection['type'] | undefined {
  if (kinds.includes('addressbook')) return 'contacts';
  if (!kinds.includes('calendar')) return undefined;
  // RFC 4791 §5.2.3: absent means "any component"; a VTODO-only calendar is a task list. A
  // calendar for neither events nor to-dos (VJOURNAL only, RFC 7953 VAVAILABILITY) holds nothing
  // we announce and is not a collection to watch.
  const names = componentNames(comps);
  if (names.length === 0 || names.includes('VEVENT')) return 'calendar';
  return names.includes('VTODO') ? 'tasks' : undefined;
}

function componentNames(node: unknown): string[] {
  if (typeof node !== 'object' || node === null) return [];
  return asArray((node as XmlNode).comp)
    .map((c) => (typeof c === 'object' && c !== null ? (c as XmlNode)['@_name'] : undefined))
    .filter((n): n is string => typeof n === 'string')
    .map((n) => n.toUpperCase());
}

function offersWebPush(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  return asArray((node as XmlNode).transport).some((t) => childNames(t).includes('web-push'));
}

function lastSegment(href: string): string {
  const parts = href.split('/').filter(Boolean);
  const last = parts[parts.length - 1] ?? href;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
