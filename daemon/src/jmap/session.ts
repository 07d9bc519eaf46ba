import { JmapError, safeUrl } from './errors';
import type { JmapHttp } from './transport';
import { CAP_CORE, CAP_MAIL, CAP_WEBSOCKET } from './types';

/** What this client needs of the JMAP Session resource (RFC 8620 §2). */
export interface JmapSession {
  /** Where the session was read (after same-origin redirects). */
  sessionUrl: string;
  apiUrl: string;
  /** RFC 8620 §7.3 template, when the server offers EventSource push. */
  eventSourceUrl?: string;
  /** RFC 8887 §4: the WebSocket URL, when offered with push support. */
  webSocketUrl?: string;
  webSocketPush: boolean;
  /** The mail account (primaryAccounts[urn:ietf:params:jmap:mail]). */
  accountId: string;
  /** Session `state`: a change means the session must be read again (§2, `sessionState` in answers). */
  state: string;
  /** urn:ietf:params:jmap:core limits the client keeps to. */
  maxObjectsInGet: number;
  maxCallsInRequest: number;
  /** Capability URIs the server names (RFC 8620 §2 `capabilities`), for calendars and contacts. */
  capabilities?: readonly string[];
  /** RFC 8620 §2 `primaryAccounts`: capability URI → account id. */
  primaryAccounts?: Readonly<Record<string, string>>;
  /** Capability URIs of the mail account (`accounts[accountId].accountCapabilities`). */
  accountCapabilities?: readonly string[];
}

/**
 * The session URL for a configured `url`: a bare origin means the well-known URL (RFC 8620
 * §2.2); anything with a path is taken as the session URL itself (Fastmail's
 * https://api.fastmail.com/jmap/session).
 */
export function sessionUrlFor(configured: string): URL {
  let u: URL;
  try {
    u = new URL(configured);
  } catch {
    throw new JmapError('JMAP_ERR_CONFIG', `"${configured}" is not a URL; give the server's https:// URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new JmapError('JMAP_ERR_CONFIG', `"${safeUrl(u)}" is a ${u.protocol} URL; JMAP runs over http(s)`);
  if (u.pathname === '/' || u.pathname === '') return new URL('/.well-known/jmap', u);
  return u;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function positive(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** The origin a ws(s): URL shares with http(s): (RFC 6455 §3 maps wss to https). */
function httpOrigin(u: URL): string {
  const scheme = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  const port = u.port || (scheme === 'https:' ? '443' : '80');
  return `${scheme}//${u.hostname}:${port}`;
}

/**
 * Checks that a URL the session names may get our credentials: same origin as the session.
 * A server that names another host for its API would receive the Authorization header there.
 */
function ownUrl(raw: unknown, base: URL, field: string): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  // Templates (RFC 6570 level 1) hold braces that URL parsing would escape; check the prefix.
  let u: URL;
  try {
    u = new URL(raw.replace(/\{[^}]*\}/g, 'x'), base);
  } catch {
    throw new JmapError('JMAP_ERR_SESSION', `the session's ${field} is not a URL`, { url: safeUrl(base) });
  }
  if (httpOrigin(u) !== httpOrigin(base))
    throw new JmapError(
      'JMAP_ERR_REDIRECT',
      `the session's ${field} (${safeUrl(u)}) is on another origin than the session (${base.origin}); credentials are not sent there`,
      { request: 'GET session', url: safeUrl(base) },
    );
  return /^[a-z]+:/i.test(raw) ? raw : new URL(raw, base).href.replace(/%7B/g, '{').replace(/%7D/g, '}');
}

/** Parses a Session object; throws JMAP_ERR_SESSION naming what is missing. */
export function parseSession(json: unknown, at: URL): JmapSession {
  const s = record(json);
  const where = { request: 'GET session', url: safeUrl(at) };
  if (!s) throw new JmapError('JMAP_ERR_SESSION', `${safeUrl(at)} is not a JMAP session object`, where);
  const caps = record(s.capabilities);
  if (!caps || !record(caps[CAP_CORE]))
    throw new JmapError('JMAP_ERR_SESSION', `${safeUrl(at)} is not a JMAP session (no ${CAP_CORE})`, where);
  if (!(CAP_MAIL in caps))
    throw new JmapError(
      'JMAP_ERR_SESSION',
      `the JMAP server at ${at.origin} offers no mail (${CAP_MAIL})`,
      where,
    );
  const primary = record(s.primaryAccounts);
  const accountId = primary?.[CAP_MAIL];
  const accounts = record(s.accounts);
  if (typeof accountId !== 'string' || !accounts || !record(accounts[accountId]))
    throw new JmapError('JMAP_ERR_FORBIDDEN', 'the JMAP session names no mail account for this user', where);
  const apiUrl = ownUrl(s.apiUrl, at, 'apiUrl');
  if (!apiUrl) throw new JmapError('JMAP_ERR_SESSION', 'the JMAP session has no apiUrl', where);
  if (typeof s.state !== 'string')
    throw new JmapError('JMAP_ERR_SESSION', 'the JMAP session has no state', where);
  const core = record(caps[CAP_CORE])!;
  const ws = record(caps[CAP_WEBSOCKET]);
  const eventSourceUrl = ownUrl(s.eventSourceUrl, at, 'eventSourceUrl');
  const webSocketUrl = ws ? ownUrl(ws.url, at, 'WebSocket url') : undefined;
  return {
    sessionUrl: at.href,
    apiUrl,
    ...(eventSourceUrl ? { eventSourceUrl } : {}),
    ...(webSocketUrl ? { webSocketUrl } : {}),
    webSocketPush: ws?.supportsPush === true,
    accountId,
    state: s.state,
    maxObjectsInGet: Math.min(positive(core.maxObjectsInGet, 500), 500),
    maxCallsInRequest: positive(core.maxCallsInRequest, 16),
    capabilities: Object.keys(caps),
    primaryAccounts: Object.fromEntries(
      Object.entries(primary ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
    accountCapabilities: Object.keys(record(record(accounts[accountId])!.accountCapabilities) ?? {}),
  };
}

/** GET the session resource (RFC 8620 §2.2). */
export async function fetchSession(http: JmapHttp, configured: string): Promise<JmapSession> {
  const { url, json } = await http.getJson(sessionUrlFor(configured), 'GET session');
  return parseSession(json, url);
}
