import type { Dispatcher } from 'undici';
import { NetError } from '../net/errors';
import { type ExchangeResponse, exchange } from '../net/exchange';
import { parseRetryAfter } from '../retry/backoff';
import type { JmapAuth } from './auth';
import { JmapError, safeUrl } from './errors';

/** Caps and deadlines of one account's JMAP requests. */
export interface JmapLimits {
  /** Largest API or session answer, bytes (default 8 MiB). */
  maxBytes: number;
  /** Total deadline of every request, ms (default 60 s). */
  deadlineMs: number;
}

export const DEFAULT_LIMITS: JmapLimits = { maxBytes: 8 * 1024 * 1024, deadlineMs: 60_000 };

/** The narrow connection the method files are written against: tests pass a plain object. */
export interface JmapHttp {
  /** GET a JSON resource, following same-origin redirects only; returns the final URL too. */
  getJson(url: URL, what: string): Promise<{ url: URL; json: unknown }>;
  /** POST a JSON body and parse the JSON answer. */
  postJson(url: URL, body: unknown, what: string): Promise<unknown>;
  /** The Authorization header for a request this transport does not make (push streams). */
  authorization(): Promise<string>;
  /** A 401 on such a request: may a retry use a new credential? */
  rejected(): Promise<boolean>;
}

export interface TransportOptions {
  dispatcher: Dispatcher;
  auth: JmapAuth;
  limits?: Partial<JmapLimits>;
  /** Aborts every request in flight (the watcher stopping). */
  signal?: AbortSignal;
  now?: () => number;
}

const MAX_REDIRECTS = 5;

/** Same scheme, host and port (RFC 6454): the only place credentials may go. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

/**
 * HTTP for one JMAP account over net/exchange.ts: every request has a total deadline and a body
 * cap checked before buffering; 401 gets one retry when the credential can be refreshed (OAuth);
 * redirects are followed only within the origin, since they would carry the Authorization header
 * (credentials never go to another origin, issue 17).
 */
export function createTransport(opts: TransportOptions): JmapHttp {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;

  async function send(
    url: URL,
    method: 'GET' | 'POST',
    what: string,
    body: Buffer | undefined,
  ): Promise<ExchangeResponse> {
    for (let retried = false; ; retried = true) {
      const headers: Record<string, string> = {
        accept: 'application/json',
        authorization: await opts.auth.header(),
        ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      };
      let res: ExchangeResponse;
      try {
        res = await exchange(opts.dispatcher, url, {
          method,
          headers,
          ...(body ? { body } : {}),
          deadlineMs: limits.deadlineMs,
          maxBytes: limits.maxBytes,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        throw transportError(err, what, url);
      }
      if (res.statusCode === 401 && !retried && (await opts.auth.rejected())) continue;
      return res;
    }
  }

  async function getJson(start: URL, what: string): Promise<{ url: URL; json: unknown }> {
    let url = start;
    for (let hops = 0; ; hops++) {
      const res = await send(url, 'GET', what, undefined);
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        const location = header(res, 'location');
        if (!location) throw statusError(res, what, url, now());
        const next = new URL(location, url);
        if (!sameOrigin(next, start))
          throw new JmapError(
            'JMAP_ERR_REDIRECT',
            `${safeUrl(url)} redirects to ${safeUrl(next)}, another origin; credentials are not sent there. If that is your server, set the account's url to ${next.origin}`,
            { request: what, url: safeUrl(url), status: res.statusCode, location: withoutUserinfo(next) },
          );
        if (hops >= MAX_REDIRECTS)
          throw new JmapError(
            'JMAP_ERR_REDIRECT',
            `more than ${MAX_REDIRECTS} redirects from ${safeUrl(start)}`,
            {
              request: what,
              url: safeUrl(start),
            },
          );
        url = next;
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) throw statusError(res, what, url, now());
      return { url, json: parseJson(res, what, url) };
    }
  }

  async function postJson(url: URL, payload: unknown, what: string): Promise<unknown> {
    const res = await send(url, 'POST', what, Buffer.from(JSON.stringify(payload), 'utf8'));
    if (res.statusCode < 200 || res.statusCode > 299) throw statusError(res, what, url, now());
    return parseJson(res, what, url);
  }

  return {
    getJson,
    postJson,
    authorization: () => opts.auth.header(),
    rejected: () => opts.auth.rejected(),
  };
}

function withoutUserinfo(u: URL): string {
  const c = new URL(u);
  c.username = '';
  c.password = '';
  return c.href;
}

function header(res: ExchangeResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(res: ExchangeResponse, what: string, url: URL): unknown {
  try {
    return JSON.parse(Buffer.from(res.body).toString('utf8'));
  } catch (err) {
    throw new JmapError(
      'JMAP_ERR_PROTOCOL',
      `${what}: the answer is not JSON`,
      { request: what, url: safeUrl(url), status: res.statusCode },
      { cause: err },
    );
  }
}

/** RFC 8620 §3.6.1 problem details (RFC 7807), when the body is one. */
function problem(res: ExchangeResponse): { type?: string; detail?: string } {
  try {
    const p = JSON.parse(Buffer.from(res.body).toString('utf8')) as { type?: unknown; detail?: unknown };
    return {
      ...(typeof p.type === 'string' ? { type: p.type } : {}),
      ...(typeof p.detail === 'string' ? { detail: p.detail.slice(0, 300) } : {}),
    };
  } catch {
    return {};
  }
}

/** Maps a non-2xx answer to its code. */
export function statusError(res: ExchangeResponse, what: string, url: URL, now: number): JmapError {
  const status = res.statusCode;
  const p = problem(res);
  const ctx = {
    request: what,
    url: safeUrl(url),
    status,
    ...(p.type ? { type: p.type } : {}),
    ...(p.detail ? { serverText: p.detail } : {}),
  };
  const says = p.detail ? `: ${p.detail}` : '';
  if (status === 401)
    return new JmapError(
      'JMAP_ERR_UNAUTHORIZED',
      `The server refused the credentials (HTTP 401)${says}`,
      ctx,
    );
  if (status === 403)
    return new JmapError('JMAP_ERR_FORBIDDEN', `${what} is forbidden (HTTP 403)${says}`, ctx);
  if (status === 429 || status === 503) {
    const after = parseRetryAfter(header(res, 'retry-after'), now);
    return new JmapError('JMAP_ERR_RATE_LIMITED', `${what}: the server is busy (HTTP ${status})${says}`, {
      ...ctx,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (status >= 500)
    return new JmapError('JMAP_ERR_SERVER', `${what}: server error (HTTP ${status})${says}`, ctx);
  if (status === 400 && p.type?.startsWith('urn:ietf:params:jmap:error:'))
    return new JmapError(
      'JMAP_ERR_PROTOCOL',
      `${what}: the server refused the request (${p.type})${says}`,
      ctx,
    );
  return new JmapError('JMAP_ERR_HTTP', `${what}: unexpected HTTP ${status}${says}`, ctx);
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps a failure below HTTP (socket, deadline, cap) to its code. */
export function transportError(err: unknown, what: string, url: URL): JmapError {
  if (err instanceof JmapError) return err;
  const ctx = { request: what, url: safeUrl(url) };
  if (err instanceof NetError) {
    if (err.code === 'NET_ERR_BODY_TOO_LARGE')
      return new JmapError('JMAP_ERR_TOO_LARGE', `${what}: ${err.message}; refused without processing`, {
        ...ctx,
        ...(err.limit !== undefined ? { limit: err.limit } : {}),
      });
    if (err.code === 'NET_ERR_DEADLINE')
      return new JmapError('JMAP_ERR_TIMEOUT', `${what}: ${err.message}`, {
        ...ctx,
        ...(err.limit !== undefined ? { limit: err.limit } : {}),
      });
  }
  const code = (err as { code?: string } | null)?.code ?? '';
  if (TIMEOUT_CODES.has(code))
    return new JmapError('JMAP_ERR_TIMEOUT', `${what} timed out (${code})`, ctx, { cause: err });
  const detail = code || (err instanceof Error ? err.message : String(err));
  return new JmapError('JMAP_ERR_NETWORK', `${what} failed: ${detail}`, ctx, { cause: err });
}
