/**
 * How EAS requests authenticate. The secret is fetched when a request is built and never kept
 * on the connection, so it cannot leak into a log line or an error.
 */

/**
 * Supplies OAuth2 access tokens (Exchange Online). The OAuth module (`./oauth/token-provider`)
 * implements it with one refresh in flight and rotating refresh tokens.
 */
export interface TokenProvider {
  getAccessToken(opts?: { forceRefresh?: boolean }): Promise<string>;
}

export type EasAuth =
  | { kind: 'basic'; username: string; password: () => Promise<string> }
  | { kind: 'bearer'; tokens: TokenProvider };

/**
 * The Authorization header value. With `forceRefresh` a bearer token is refreshed first: after a
 * 401 we try one fresh token, then give up as needs-credentials (no retry storm).
 */
export async function authorization(auth: EasAuth, forceRefresh = false): Promise<string> {
  if (auth.kind === 'basic') {
    const password = await auth.password();
    // MS-ASHTTP 2.2.1.1.2.1: Basic over TLS; UTF-8 as RFC 7617 recommends for non-ASCII passwords.
    return `Basic ${Buffer.from(`${auth.username}:${password}`, 'utf8').toString('base64')}`;
  }
  return `Bearer ${await auth.tokens.getAccessToken(forceRefresh ? { forceRefresh: true } : undefined)}`;
}
