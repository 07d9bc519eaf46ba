import { DavError } from './errors';
import { collectionHref } from './href';
import type { Send } from './request';
import { childNames, hrefsOf, okProps, parseMultistatus } from './xml';

export type DavKind = 'caldav' | 'carddav';

/** An SRV record as node:dns returns it. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** DNS look-ups discovery needs; injected in tests. */
export interface DiscoveryDns {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolveTxt(name: string): Promise<string[][]>;
}

/** node:dns/promises, imported on first use (a watching daemon never resolves SRV or TXT). */
export const systemDns: DiscoveryDns = {
  resolveSrv: async (name) => (await import('node:dns/promises')).resolveSrv(name),
  resolveTxt: async (name) => (await import('node:dns/promises')).resolveTxt(name),
};

/** What discovery found: the homes to PROPFIND, and a single collection when the URL named one. */
export interface DiscoveryResult {
  principal?: string;
  homes: string[];
  /**
   * CalDAV: the user's calendar user addresses (RFC 6638 §2.4.1 calendar-user-address-set, e.g.
   * `mailto:alice@example.org`), empty when the server names none: who "me" is when telling an
   * invitation from an event. Absent in results stored before it was read (see the watcher).
   */
  addresses?: string[];
  /** Set when the configured URL is itself a calendar / address book: watch just it. */
  onlyCollection?: string;
}

const HOME_PROP = { caldav: 'calendar-home-set', carddav: 'addressbook-home-set' } as const;
const COLLECTION_TYPE = { caldav: 'calendar', carddav: 'addressbook' } as const;

/**
 * Pure: the candidate context URLs for an account's `url` (a URL, a host, or an e-mail address),
 * in the order RFC 6764 asks: SRV (+ TXT path, §3–4) for a bare domain, then the well-known URI
 * (§5) on that origin. The configured URL itself comes first when it is one.
 */
export async function candidateUrls(input: string, kind: DavKind, resolver: DiscoveryDns): Promise<URL[]> {
  const out: URL[] = [];
  if (/^https?:\/\//i.test(input)) {
    const u = parseUrl(input);
    out.push(u);
    out.push(new URL(`/.well-known/${kind}`, u.origin));
    return out;
  }
  const at = input.lastIndexOf('@');
  const domain = (at >= 0 ? input.slice(at + 1) : input).trim().toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(domain)) {
    throw new DavError(
      'DAV_ERR_CONFIG',
      `Cannot find a ${kind} server for "${input}": not a URL or e-mail address`,
    );
  }
  // RFC 6764 §3: _caldavs._tcp (TLS) is preferred; the non-TLS record is never used.
  const srv = await resolver.resolveSrv(`_${kind}s._tcp.${domain}`).catch(() => [] as SrvRecord[]);
  const best = [...srv]
    .filter((r) => r.name !== '.')
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
  if (best) {
    const txt = await resolver.resolveTxt(`_${kind}s._tcp.${domain}`).catch(() => [] as string[][]);
    const path = txt
      .map((chunks) => chunks.join(''))
      .find((t) => t.startsWith('path='))
      ?.slice(5);
    const origin = `https://${best.name.replace(/\.$/, '')}${best.port === 443 ? '' : `:${best.port}`}`;
    out.push(new URL(path?.startsWith('/') ? path : `/.well-known/${kind}`, origin));
  }
  out.push(new URL(`/.well-known/${kind}`, `https://${domain}`));
  return out;
}

function parseUrl(s: string): URL {
  try {
    return new URL(s);
  } catch (err) {
    throw new DavError('DAV_ERR_CONFIG', `Account url "${s}" is not a valid URL`, {}, { cause: err });
  }
}

const PROPFIND_PRINCIPAL =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav">' +
  '<D:prop><D:current-user-principal/><D:resourcetype/><C:calendar-home-set/><A:addressbook-home-set/>' +
  '<C:calendar-user-address-set/></D:prop>' +
  '</D:propfind>';

/**
 * Finds the homes of an account: for each candidate URL, PROPFIND Depth: 0 for
 * current-user-principal (RFC 5397) and the home set (RFC 4791 §6.2.1, RFC 6352 §7.1.1), then the
 * same on the principal. The first candidate that yields a home wins; 401 or an unreadable secret stops at once.
 */
export async function discover(
  send: Send,
  input: string,
  kind: DavKind,
  resolver: DiscoveryDns = systemDns,
): Promise<DiscoveryResult> {
  const tried: string[] = [];
  let lastError: unknown;
  for (const candidate of await candidateUrls(input, kind, resolver)) {
    tried.push(candidate.href);
    try {
      const found = await fromContext(send, candidate, kind);
      if (found) return found;
    } catch (err) {
      // Credentials are the same for every candidate: no point trying the next one.
      if (err instanceof DavError && (err.code === 'DAV_ERR_UNAUTHORIZED' || err.code === 'DAV_ERR_SECRET'))
        throw err;
      lastError = err;
    }
  }
  throw new DavError(
    'DAV_ERR_DISCOVERY',
    `No ${kind} principal or home found (tried ${tried.join(', ')}); set url to the home or collection URL`,
    {},
    { cause: lastError },
  );
}

async function fromContext(send: Send, url: URL, kind: DavKind): Promise<DiscoveryResult | undefined> {
  const first = await propfind0(send, url);
  const here = collectionHref(first.url.pathname, first.url);
  if (first.types.includes(COLLECTION_TYPE[kind])) {
    // The URL names one collection; its parent is the home whose PROPFIND lists it.
    const parent = here.replace(/[^/]+\/$/, '');
    return withAddresses({ homes: [new URL(parent, first.url).href], onlyCollection: here }, first, kind);
  }
  if (first.homes[kind].length > 0) return result(first, kind);
  if (first.principal === undefined) return undefined;
  const p = await propfind0(send, new URL(first.principal, first.url));
  return p.homes[kind].length > 0 ? result(p, kind) : undefined;
}

function result(r: ContextProps, kind: DavKind): DiscoveryResult {
  const out: DiscoveryResult = { homes: r.homes[kind].map((h) => new URL(h, r.url).href) };
  if (r.principal !== undefined) out.principal = collectionHref(r.principal, r.url);
  return withAddresses(out, r, kind);
}

/**
 * The address set comes from the answer that gave the homes (a principal property, RFC 6638
 * §2.4.1, asked in the same PROPFIND): no extra request. A collection URL is not a principal,
 * so such an account has none.
 */
function withAddresses(out: DiscoveryResult, r: ContextProps, kind: DavKind): DiscoveryResult {
  return kind === 'caldav' ? { ...out, addresses: r.addresses } : out;
}

interface ContextProps {
  url: URL;
  types: string[];
  principal?: string;
  homes: Record<DavKind, string[]>;
  addresses: string[];
}

async function propfind0(send: Send, url: URL): Promise<ContextProps> {
  const res = await send({
    method: 'PROPFIND',
    url,
    headers: { depth: '0', 'content-type': 'application/xml; charset=utf-8' },
    body: PROPFIND_PRINCIPAL,
  });
  const ms = parseMultistatus(res.body, { url: url.href });
  // Depth: 0 answers for the request URL only; a server that lists members anyway must not
  // lend their resourcetype to the context URL.
  const first = ms.responses[0];
  const props = first ? okProps(first) : {};
  const principal = hrefsOf(props['current-user-principal'])[0];
  return {
    url: res.url,
    types: childNames(props.resourcetype),
    ...(principal !== undefined ? { principal } : {}),
    homes: {
      caldav: hrefsOf(props[HOME_PROP.caldav]),
      carddav: hrefsOf(props[HOME_PROP.carddav]),
    },
    addresses: hrefsOf(props['calendar-user-address-set']),
  };
}
