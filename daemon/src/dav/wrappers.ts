import { parseRetryAfter } from '../retry/backoff';
import { DavError, type DavErrorCode, safeUrl } from './errors';
import type { SendWrapper } from './request';
import { childNames, parseXml } from './xml';

/**
 * Adds HTTP Basic credentials (RFC 7617). The secret is fetched per request through the getter,
 * so a rotated password is picked up and the value never sits in a long-lived object.
 */
export function withBasicAuth(username: string, secret: () => Promise<string>): SendWrapper {
  return (next) => async (req) => {
    const token = Buffer.from(`${username}:${await secret()}`, 'utf8').toString('base64');
    return next({ ...req, headers: { ...req.headers, authorization: `Basic ${token}` } });
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Follows redirects, keeping method and body: PROPFIND and REPORT must not turn into GET, and
 * RFC 6764 §5 well-known URIs answer with a redirect to the context path. A hop to another
 * origin is followed only over https, so credentials never leave in clear text; loops and
 * chains longer than `max` fail.
 */
export function withRedirects(max = 5): SendWrapper {
  return (next) => async (req) => {
    let current = req;
    const seen = new Set<string>([req.url.href]);
    for (let hop = 0; ; hop++) {
      const res = await next(current);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || location === undefined) return res;
      const target = new URL(location, current.url);
      if (hop >= max || seen.has(target.href)) {
        throw new DavError('DAV_ERR_TOO_MANY_REDIRECTS', `Redirect loop or more than ${max} redirects`, {
          method: req.method,
          url: safeUrl(req.url),
          status: res.status,
        });
      }
      if (target.origin !== current.url.origin && target.protocol !== 'https:') {
        throw new DavError('DAV_ERR_HTTP', `Refusing redirect to another origin over ${target.protocol}`, {
          method: req.method,
          url: safeUrl(target),
          status: res.status,
        });
      }
      seen.add(target.href);
      current = { ...current, url: target };
    }
  };
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND', 'REPORT']);

/**
 * Retries an idempotent request once, at once, when the connection failed: a server or proxy
 * closes an idle keep-alive socket between two checks and the first write hits the reset. Every
 * other failure is left to the watcher's back-off.
 */
export function withRetryOnReset(attempts = 2): SendWrapper {
  return (next) => async (req) => {
    for (let i = 1; ; i++) {
      try {
        return await next(req);
      } catch (err) {
        const retry = err instanceof DavError && err.code === 'DAV_ERR_NETWORK' && IDEMPOTENT.has(req.method);
        if (!retry || i >= attempts) throw err;
      }
    }
  };
}

/**
 * Maps every non-2xx answer to a DavError. This is the one place that reads Retry-After
 * (RFC 9110 §10.2.3) and the DAV:error precondition element (RFC 4918 §16).
 */
export function withStatusErrors(now: () => number = Date.now): SendWrapper {
  return (next) => async (req) => {
    const res = await next(req);
    if (res.status >= 200 && res.status < 300) return res;
    const condition = errorCondition(res.body, res.headers['content-type']);
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now());
    const context = {
      method: req.method,
      url: safeUrl(res.url),
      status: res.status,
      ...(condition ? { condition } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
    const [code, words] = classifyStatus(res.status, condition);
    throw new DavError(
      code,
      `${req.method} ${context.url}: HTTP ${res.status}${condition ? ` (${condition})` : ''} — ${words}`,
      context,
    );
  };
}

function classifyStatus(status: number, condition: string | undefined): [DavErrorCode, string] {
  // RFC 6578 §3.2: 403 with DAV:valid-sync-token; some servers answer 409 with the same body.
  if (condition === 'valid-sync-token') return ['DAV_ERR_INVALID_SYNC_TOKEN', 'sync token no longer valid'];
  if (status === 401) return ['DAV_ERR_UNAUTHORIZED', 'the server refused the credentials'];
  if (status === 403) return ['DAV_ERR_FORBIDDEN', 'the account may not read this'];
  if (status === 404 || status === 410) return ['DAV_ERR_NOT_FOUND', 'no such collection'];
  if (status === 429 || status === 503) return ['DAV_ERR_RATE_LIMITED', 'the server asks us to wait'];
  if (status >= 500) return ['DAV_ERR_SERVER', 'server error'];
  return ['DAV_ERR_HTTP', 'unexpected answer'];
}

function errorCondition(body: string, contentType: string | undefined): string | undefined {
  if (body === '' || !/xml/i.test(contentType ?? 'xml')) return undefined;
  try {
    const doc = parseXml(body);
    return childNames(doc.error)[0];
  } catch {
    // An unreadable error body still leaves the status code to act on.
    return undefined;
  }
}
