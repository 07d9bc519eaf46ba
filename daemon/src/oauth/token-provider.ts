import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { SecretSource } from '../secrets/types';
import { OAuthError } from './errors';
import {
  clientCredentials,
  type OAuthClient,
  type OAuthProviderId,
  type OAuthUse,
  oauthClientOf,
} from './providers';
import { requestTokens } from './token-endpoint';

/**
 * Supplies OAuth2 access tokens. Identical to the interface in `../auth.ts`, which the EAS
 * transport consumes; keep the two in step.
 */
export interface TokenProvider {
  getAccessToken(opts?: { forceRefresh?: boolean }): Promise<string>;
}

export interface OAuthTokenProviderOptions {
  /** Default `microsoft` (Entra ID); `google` for Gmail (oauth/providers.ts). */
  provider?: OAuthProviderId;
  /** Microsoft: v2 authority, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0 (default: tenant `common`). Google: a test base. */
  authority?: string;
  /** The application (client) id registered in Entra ID or Google Cloud. */
  clientId: string;
  /** Google's desktop clients need it at /token; never logged. */
  clientSecret?: string;
  /** Default: the provider's scope for `use` (Entra EAS or IMAP; Google `https://mail.google.com/`). */
  scope?: string;
  /** Which default scope applies (default `eas`). */
  use?: OAuthUse;
  /** Where the refresh token lives; rotated tokens are written back with `set()`. */
  refreshToken: SecretSource;
  dispatcher?: Dispatcher;
  /** ms since the epoch; injectable for tests. */
  clock?: () => number;
  log?: Logger;
  /** Token request timeout, ms (default 30 s). */
  timeoutMs?: number;
}

/** Refresh this long before expiry (at most half the lifetime), so a request never carries a dying token. */
const EARLY_REFRESH_MS = 5 * 60_000;

interface Cached {
  token: string;
  refreshAt: number;
}

class OAuthTokenProvider implements TokenProvider {
  readonly #opts: OAuthTokenProviderOptions;
  readonly #client: OAuthClient | OAuthError;
  readonly #clock: () => number;
  #cached: Cached | undefined;
  #inflight: Promise<string> | undefined;
  /** The newest refresh token seen; read from the source once, then kept through rotations. */
  #refreshToken: string | undefined;

  constructor(opts: OAuthTokenProviderOptions) {
    if (opts.clientId === '') throw new TypeError('createOAuthTokenProvider: clientId must not be empty');
    this.#opts = opts;
    try {
      this.#client = oauthClientOf(opts, opts.use);
    } catch (err) {
      // A missing Google client secret (an unset environment variable) is the account's fault,
      // reported where a token is asked for, so the watcher shows it instead of failing to start.
      if (!(err instanceof OAuthError && err.code === 'EAS_ERR_OAUTH_CLIENT_SECRET')) throw err;
      this.#client = err;
    }
    this.#clock = opts.clock ?? Date.now;
  }

  getAccessToken(opts?: { forceRefresh?: boolean }): Promise<string> {
    // One refresh in flight: every caller during a refresh shares it, forced or not.
    if (this.#inflight) return this.#inflight;
    const cached = this.#cached;
    if (!opts?.forceRefresh && cached && this.#clock() < cached.refreshAt)
      return Promise.resolve(cached.token);
    this.#inflight = this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refresh(): Promise<string> {
    const log = this.#opts.log;
    const client = this.#client;
    if (client instanceof OAuthError) throw client;
    const refreshToken = this.#refreshToken ?? (await this.#opts.refreshToken.get());
    if (refreshToken === '') {
      throw new OAuthError('EAS_ERR_OAUTH_NO_REFRESH_TOKEN', 'no refresh token stored: sign in first');
    }
    const sentAt = this.#clock();
    let tokens: Awaited<ReturnType<typeof requestTokens>>;
    try {
      // RFC 6749 §6; Entra v2 wants the scope again on refresh, Google the client secret.
      tokens = await requestTokens(
        client.token,
        {
          grant_type: 'refresh_token',
          ...clientCredentials(client),
          refresh_token: refreshToken,
          ...(client.scopeAtToken ? { scope: client.scope } : {}),
        },
        this.#clock,
        {
          ...(this.#opts.dispatcher ? { dispatcher: this.#opts.dispatcher } : {}),
          ...(this.#opts.timeoutMs === undefined ? {} : { timeoutMs: this.#opts.timeoutMs }),
        },
      );
    } catch (err) {
      if (err instanceof OAuthError && err.needsCredentials) {
        // The grant is dead: drop what we hold so a new sign-in (a new stored token) is picked up.
        this.#cached = undefined;
        this.#refreshToken = undefined;
      }
      log?.warn({ code: (err as OAuthError).code, message: (err as Error).message }, 'oauth refresh failed');
      throw err;
    }
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== refreshToken) {
      this.#refreshToken = tokens.refreshToken;
      await this.#persist(tokens.refreshToken);
    } else {
      this.#refreshToken = refreshToken;
    }
    const lifetime = tokens.expiresAt - sentAt;
    this.#cached = {
      token: tokens.accessToken,
      refreshAt: tokens.expiresAt - Math.min(EARLY_REFRESH_MS, lifetime / 2),
    };
    log?.debug({ expiresInS: Math.round(lifetime / 1000) }, 'oauth access token refreshed');
    return tokens.accessToken;
  }

  /**
   * Entra rotates refresh tokens (Google does not); the new one must survive a restart. A failed write is logged
   * and the token kept in memory: the account keeps working until the daemon restarts.
   */
  async #persist(token: string): Promise<void> {
    const set = this.#opts.refreshToken.set;
    if (!set) {
      this.#opts.log?.warn(
        { code: 'EAS_ERR_OAUTH_PERSIST' },
        'refresh token rotated but the secret source is read-only',
      );
      return;
    }
    try {
      await set.call(this.#opts.refreshToken, token);
    } catch (err) {
      this.#opts.log?.error(
        { code: 'EAS_ERR_OAUTH_PERSIST', message: (err as Error).message },
        'could not store the rotated refresh token',
      );
    }
  }
}

/**
 * An OAuth2 token provider for Microsoft identity platform v2 or Google: access tokens
 * cached until shortly before expiry, one refresh in flight, rotating refresh tokens persisted,
 * `invalid_grant` surfaced as `EAS_ERR_OAUTH_INVALID_GRANT` (needs-credentials).
 */
export function createOAuthTokenProvider(opts: OAuthTokenProviderOptions): TokenProvider {
  return new OAuthTokenProvider(opts);
}
