import type { TokenProvider } from '../oauth/token-provider';
import type { SecretSource } from '../secrets/types';
import { JmapError } from './errors';

/**
 * Where the Authorization header comes from. RFC 8620 §8.2 leaves the scheme to the server:
 * Basic (Cyrus, Stalwart), a static Bearer token (Fastmail API tokens) or OAuth 2.0 access
 * tokens (the token provider shared with Exchange).
 */
export interface JmapAuth {
  /** The header value for the next request. */
  header(): Promise<string>;
  /**
   * Called after a 401: forgets what was cached and says whether a retry can use something new
   * (a refreshed OAuth token). A password or static token gets no second try: that would only
   * risk a lock-out.
   */
  rejected(): Promise<boolean>;
}

/** How long a read secret is reused: a passwordCommand must not run for every request of a sync round. */
const SECRET_REUSE_MS = 5 * 60_000;

function cachedSecret(secret: SecretSource, now: () => number) {
  let cached: { at: number; value: Promise<string> } | undefined;
  return {
    get(): Promise<string> {
      if (cached && now() - cached.at < SECRET_REUSE_MS) return cached.value;
      const value = secret.get().catch((err: unknown) => {
        cached = undefined;
        throw new JmapError('JMAP_ERR_SECRET', 'Could not read the account secret', {}, { cause: err });
      });
      cached = { at: now(), value };
      return value;
    },
    forget(): void {
      cached = undefined;
    },
  };
}

/** HTTP Basic (RFC 7617) with the account's user name and password. */
export function basicAuth(username: string, secret: SecretSource, now: () => number = Date.now): JmapAuth {
  const s = cachedSecret(secret, now);
  return {
    header: async () => `Basic ${Buffer.from(`${username}:${await s.get()}`, 'utf8').toString('base64')}`,
    rejected: async () => {
      s.forget();
      return false;
    },
  };
}

/** A static Bearer token (RFC 6750) kept in the account's secret, e.g. a Fastmail API token. */
export function bearerAuth(secret: SecretSource, now: () => number = Date.now): JmapAuth {
  const s = cachedSecret(secret, now);
  return {
    header: async () => `Bearer ${await s.get()}`,
    rejected: async () => {
      s.forget();
      return false;
    },
  };
}

/** OAuth 2.0 access tokens from the token provider Exchange uses; a 401 forces one refresh. */
export function oauthAuth(tokens: TokenProvider): JmapAuth {
  let force = false;
  return {
    async header() {
      try {
        const token = await tokens.getAccessToken(force ? { forceRefresh: true } : undefined);
        force = false;
        return `Bearer ${token}`;
      } catch (err) {
        throw new JmapError('JMAP_ERR_SECRET', 'Could not get an OAuth access token', {}, { cause: err });
      }
    },
    async rejected() {
      // The transport retries a request once at most, so a token the server keeps refusing is
      // not refreshed in a loop.
      force = true;
      return true;
    },
  };
}
