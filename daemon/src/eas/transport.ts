import type { Dispatcher } from 'undici';
import { NetError } from '../net/errors';
import { type ExchangeResponse, exchange, type Target } from '../net/exchange';
import { parseRetryAfter } from '../retry/backoff';
import { authorization, type EasAuth } from './auth';
import { EasError, type EasErrorCode, HttpStatusError } from './errors';
import { parseVersionList } from './versions';

/** Our User-Agent: names the product so server admins can tell us apart (MS-ASHTTP 2.2.1.1.2.8). */
export const USER_AGENT = 'Tidings/0.1';
/** DeviceType that names us (MS-ASHTTP 2.2.1.1.1.1.4). */
export const DEVICE_TYPE = 'Tidings';
/** WBXML content type of every command body (MS-ASHTTP 2.2.1.1.2.3). */
export const WBXML_TYPE = 'application/vnd.ms-sync.wbxml';

/** Options for an {@link EasHttp}. */
export interface EasHttpOptions {
  /** The endpoint, `https://host/Microsoft-Server-ActiveSync`. */
  url: string;
  /** The `User` query parameter: login name or e-mail address. */
  user: string;
  deviceId: string;
  deviceType?: string;
  auth: EasAuth;
  dispatcher: Dispatcher;
  userAgent?: string;
  /** 451 hops followed per request before giving up (MS-ASHTTP 3.1.5.2.2). */
  maxRedirects?: number;
  /**
   * Called with the new endpoint after a same-origin 451, so the caller persists it (and logs
   * it). A move to another origin or from https to http is never followed here: the request
   * fails with EAS_ERR_MOVE_UNCONFIRMED naming the address, for the user to accept (issue 13).
   */
  onRedirect?: (url: string) => void;
  /** Body caps and deadlines; defaults in {@link LIMITS}. */
  limits?: EasLimits;
}

/** Per-account limits on what one answer may cost (config: `limits`). */
export interface EasLimits {
  /** Largest Sync (and ItemOperations) answer, bytes. */
  syncBytes?: number;
  /** Total deadline of every request but Ping, ms (a Ping's is its heartbeat plus a margin). */
  requestTimeoutMs?: number;
}

/**
 * Default limits. Every answer is capped while it streams in (net/exchange.ts): a 500 MB Ping body
 * grew the daemon to 1.6 GB, an endless one by ~90 MB/s (issue 13). Ping, FolderSync, Provision,
 * Settings and OPTIONS answers are a few KB even for large mailboxes; a Sync answer carries up to
 * a window of items with short previews (commands/sync.ts), so its cap is larger and configurable.
 */
export const LIMITS = {
  smallBytes: 1024 * 1024,
  syncBytes: 16 * 1024 * 1024,
  requestTimeoutMs: 120_000,
} as const;

/** Commands whose answers may carry item data, under `limits.syncBytes`. */
const LARGE_ANSWERS = new Set(['Sync', 'ItemOperations']);

/** What a command request needs beyond its body. */
export interface PostOptions {
  version: string;
  policyKey?: string;
  /** Deadline for the response headers and body, ms (Ping: heartbeat + margin). */
  timeoutMs?: number;
  /** Told when a reused socket died and the request went out again (net/resend.ts). */
  onResend?: () => void;
  signal?: AbortSignal;
}

/** An answer to OPTIONS (MS-ASHTTP 2.2.2.1.2). */
export interface OptionsAnswer {
  versions: string[];
  commands: string[];
}

const NETWORK_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Error codes of a socket that was open and then died: what a NAT or firewall cut looks like. */
export const CUT_CAUSES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns a thrown undici/Node/net error into an EasError. */
export function transportError(command: string, err: unknown, signal?: AbortSignal): EasError {
  if (err instanceof EasError) return err;
  if (signal?.aborted)
    return new EasError('EAS_ERR_ABORTED', `${command}: cancelled`, { command, cause: err });
  if (err instanceof NetError && err.code === 'NET_ERR_BODY_TOO_LARGE') {
    const hint = LARGE_ANSWERS.has(command) ? ' (the account setting limits.syncBytes raises it)' : '';
    return new EasError('EAS_ERR_TOO_LARGE', `${command}: ${err.message}${hint}`, {
      command,
      serverText: err.code,
      cause: err,
    });
  }
  if (err instanceof NetError && err.code === 'NET_ERR_DEADLINE') {
    // serverText tells a trickling answer from a Ping the network cut (watch/eas-watcher.ts).
    return new EasError('EAS_ERR_TIMEOUT', `${command}: ${err.message} (the server trickles its answer)`, {
      command,
      serverText: err.code,
      cause: err,
    });
  }
  const code = causeCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new EasError('EAS_ERR_TIMEOUT', `${command}: no answer from the server in time`, {
      command,
      serverText: code,
      cause: err,
    });
  }
  if (
    code !== undefined &&
    (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))
  ) {
    return new EasError('EAS_ERR_NETWORK', `${command}: network error (${code})`, {
      command,
      serverText: code,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EasError('EAS_ERR_NETWORK', `${command}: ${message}`, { command, serverText: code, cause: err });
}

/** Maps a non-200 answer to an error (MS-ASHTTP 2.2.2.1.1, 3.1.5.2). */
export function httpError(
  command: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  now: number = Date.now(),
): HttpStatusError {
  const serverText = text.slice(0, 200).trim() || undefined;
  const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'), now);
  const ctx = { command, httpStatus: status, serverText, retryAfterMs };
  const make = (code: EasErrorCode, message: string) => new HttpStatusError(code, message, ctx);
  switch (status) {
    case 401:
      return make('EAS_ERR_AUTH', 'The server rejected the user name or password (HTTP 401)');
    case 403:
      return make('EAS_ERR_FORBIDDEN', 'The user is not enabled for ActiveSync on this server (HTTP 403)');
    case 449:
      return make('EAS_ERR_NEEDS_PROVISION', `${command}: the server asks for provisioning (HTTP 449)`);
    case 451:
      return make(
        'EAS_ERR_REDIRECT',
        `${command}: the server moved the mailbox but gave no usable new address (HTTP 451)`,
      );
    case 456:
      return make(
        'EAS_ERR_ACCOUNT_BLOCKED',
        'The account is blocked on the server (HTTP 456); ask the administrator',
      );
    case 457:
      return make(
        'EAS_ERR_PASSWORD_EXPIRED',
        'The password has expired (HTTP 457); change it, then update Tidings',
      );
    case 507:
      return make('EAS_ERR_MAILBOX_FULL', 'The server is out of storage for this mailbox (HTTP 507)');
    case 503: {
      // MS-ASHTTP 2.2.2.1.2.9: X-MS-ASThrottle names the throttling policy that tripped.
      const throttle = header(headers, 'x-ms-asthrottle');
      if (throttle !== undefined || retryAfterMs !== undefined) {
        return new HttpStatusError(
          'EAS_ERR_THROTTLED',
          `${command}: the server is throttling us (HTTP 503${throttle ? `, ${throttle}` : ''})`,
          { ...ctx, serverText: throttle ?? serverText },
        );
      }
      return make('EAS_ERR_SERVER', `${command}: the server is unavailable (HTTP 503)`);
    }
    default:
      if (status >= 500) return make('EAS_ERR_SERVER', `${command}: server error (HTTP ${status})`);
      return make('EAS_ERR_HTTP', `${command}: unexpected HTTP ${status}`);
  }
}

/**
 * The HTTP edge of the engine: builds the plain-form query (MS-ASHTTP 2.2.1.1.1.1), the EAS
 * headers and Authorization, follows 451 redirects, retries a 401 once with a fresh OAuth token,
 * and turns every other non-200 answer into an {@link HttpStatusError}.
 */
export class EasHttp {
  #opts: EasHttpOptions;
  #url: string;
  #targets = new Map<string, Target>();

  constructor(opts: EasHttpOptions) {
    this.#opts = opts;
    this.#url = opts.url;
  }

  /** The current endpoint (changes after a 451). */
  get url(): string {
    return this.#url;
  }

  /** OPTIONS: which versions and commands the server offers. */
  async options(signal?: AbortSignal): Promise<OptionsAnswer> {
    const res = await this.#exchange('OPTIONS', 'OPTIONS', undefined, {
      version: '',
      ...(signal ? { signal } : {}),
    });
    return {
      versions: parseVersionList(header(res.headers, 'ms-asprotocolversions')),
      commands: parseVersionList(header(res.headers, 'ms-asprotocolcommands')),
    };
  }

  /** POSTs one command; resolves with the (possibly empty) response body. */
  post(command: string, body: Uint8Array | undefined, opts: PostOptions): Promise<Uint8Array> {
    return this.#exchange(command, 'POST', body, opts).then((res) => res.body);
  }

  /** The command's URL (MS-ASHTTP 2.2.1.1.1.1), built once per command and endpoint. */
  #target(command: string): Target {
    let t = this.#targets.get(command);
    if (!t) {
      const u = new URL(this.#url);
      if (command !== 'OPTIONS') {
        u.searchParams.set('Cmd', command);
        u.searchParams.set('User', this.#opts.user);
        u.searchParams.set('DeviceId', this.#opts.deviceId);
        u.searchParams.set('DeviceType', this.#opts.deviceType ?? DEVICE_TYPE);
      }
      // Two strings, not the URL object: ~0.1 KB per command and account instead of ~0.4 KB.
      t = { origin: u.origin, path: u.pathname + u.search };
      this.#targets.set(command, t);
    }
    return t;
  }

  /**
   * One attempt; a 401 with a bearer token (once), a same-origin 451 and a same-origin redirect
   * (to `to`, this request only) try again.
   */
  #exchange(
    command: string,
    method: 'POST' | 'OPTIONS',
    body: Uint8Array | undefined,
    opts: PostOptions,
    hops = 0,
    refreshed = false,
    to?: Target,
  ): Promise<ExchangeResponse> {
    // Promise chains, not an async loop: a parked Ping holds this frame for its whole heartbeat.
    return credentials(command, this.#opts.auth, refreshed).then((authorization) => {
      const headers: Record<string, string> = {
        'user-agent': this.#opts.userAgent ?? USER_AGENT,
        authorization,
      };
      if (method === 'POST') {
        headers['content-type'] = WBXML_TYPE;
        headers['ms-asprotocolversion'] = opts.version;
        // MS-ASPROV 3.1.5.1: the key goes on every command but Provision's first phase; "0" = none.
        headers['x-ms-policykey'] = opts.policyKey ?? '0';
      }
      const limits = this.#opts.limits;
      return exchange(this.#opts.dispatcher, to ?? this.#target(command), {
        method,
        headers,
        // A view, not a copy: the body may be megabytes of MIME (docs/wbxml.md, encoder reuse).
        ...(method === 'POST'
          ? { body: body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : EMPTY }
          : {}),
        ...(opts.timeoutMs !== undefined ? { bodyTimeout: opts.timeoutMs } : {}),
        deadlineMs: opts.timeoutMs ?? limits?.requestTimeoutMs ?? LIMITS.requestTimeoutMs,
        maxBytes: LARGE_ANSWERS.has(command) ? (limits?.syncBytes ?? LIMITS.syncBytes) : LIMITS.smallBytes,
        ...(opts.onResend ? { onResend: opts.onResend } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }).then(
        (res) => this.#settle(command, method, body, opts, res, hops, refreshed, to),
        (err: unknown) => {
          throw transportError(command, err, opts.signal);
        },
      );
    });
  }

  #settle(
    command: string,
    method: 'POST' | 'OPTIONS',
    body: Uint8Array | undefined,
    opts: PostOptions,
    res: ExchangeResponse,
    hops: number,
    refreshed: boolean,
    to: Target | undefined,
  ): ExchangeResponse | Promise<ExchangeResponse> {
    if (res.statusCode === 200) return res;
    if (res.statusCode === 401 && this.#opts.auth.kind === 'bearer' && !refreshed)
      return this.#exchange(command, method, body, opts, hops, true, to);
    const h = res.headers;
    const hopsLeft = hops < (this.#opts.maxRedirects ?? 3);
    if (res.statusCode === 451) {
      const location = header(h, 'x-ms-location');
      const next = location ? safeUrl(location, this.#url) : undefined;
      if (next && hopsLeft) {
        this.#confine(command, 451, next);
        this.#url = next;
        this.#targets.clear();
        this.#opts.onRedirect?.(next);
        return this.#exchange(command, method, body, opts, hops + 1, refreshed);
      }
    }
    if (REDIRECTS.has(res.statusCode)) {
      // Not part of EAS (MS-ASHTTP moves a mailbox with 451), but proxies and portals send them.
      const current = to ? to.origin + to.path : this.#url;
      const location = header(h, 'location');
      const next = location ? safeUrl(location, current) : undefined;
      if (next && hopsLeft) {
        this.#confine(command, res.statusCode, next);
        const u = new URL(next);
        return this.#exchange(command, method, body, opts, hops + 1, refreshed, {
          origin: u.origin,
          path: u.pathname + u.search,
        });
      }
    }
    throw httpError(command, res.statusCode, h, new TextDecoder().decode(res.body.subarray(0, 400)));
  }

  /**
   * Credentials stay with their origin (issue 13): a move to another scheme, host or port —
   * https to http included — is not followed, and nothing is persisted; the error names the
   * address for the user to accept (`tidings account accept-move`).
   */
  #confine(command: string, status: number, next: string): void {
    const from = new URL(this.#url);
    const to = new URL(next);
    if (from.origin === to.origin) return;
    const downgrade = from.protocol === 'https:' && to.protocol === 'http:';
    // What the user accepts is an endpoint: our per-command query is added again after a move.
    to.search = '';
    to.hash = '';
    throw new EasError(
      'EAS_ERR_MOVE_UNCONFIRMED',
      `${command}: the server moves this account to ${to.origin}${downgrade ? ' over plain http' : ''} (HTTP ${status}); no password goes there until you accept the move`,
      { command, httpStatus: status, location: to.toString() },
    );
  }
}

/** HTTP redirects (RFC 9110 15.4) that name a new location. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The body of a POST without one: undici then sends `Content-Length: 0`. */
const EMPTY = Buffer.alloc(0);

/** Token-provider failures that are transient: back off instead of asking the user to sign in. */
const TRANSIENT_TOKEN_ERRORS = new Set([
  'EAS_ERR_OAUTH_NETWORK',
  'EAS_ERR_OAUTH_TIMEOUT',
  'EAS_ERR_OAUTH_BAD_RESPONSE',
]);

/**
 * The Authorization value, or an error a person can act on: a password source that fails
 * (keyring locked, passwordCommand failed) or a refresh token that was revoked means
 * needs-credentials; a token endpoint that is down is a network error.
 */
async function credentials(command: string, auth: EasAuth, forceRefresh: boolean): Promise<string> {
  try {
    return await authorization(auth, forceRefresh);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
    if (typeof code === 'string' && TRANSIENT_TOKEN_ERRORS.has(code)) {
      return Promise.reject(
        new EasError('EAS_ERR_NETWORK', `${command}: the sign-in service is unreachable (${code})`, {
          command,
          cause,
        }),
      );
    }
    // The secrets room's messages name where the secret was looked for and what to do (no
    // keyring on a headless server → --password-command / --password-env), never the secret.
    const secretText =
      typeof code === 'string' && code.startsWith('SECRET_ERR_') && cause instanceof Error
        ? cause.message
        : undefined;
    return Promise.reject(
      new EasError(
        'EAS_ERR_AUTH',
        secretText
          ? `${command}: no usable credentials (${code}): ${secretText}`
          : `${command}: no usable credentials (${why}); sign in again`,
        { command, cause },
      ),
    );
  }
}

/**
 * A redirect target must resolve (against `base`) to an http(s) URL without user info (a
 * password in a URL would end up in logs and status); anything else is ignored.
 */
function safeUrl(value: string, base: string): string | undefined {
  try {
    const u = new URL(value, base);
    if (u.username !== '' || u.password !== '') return undefined;
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}
