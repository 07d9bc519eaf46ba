/**
 * OAuth 2.0 errors (Microsoft identity platform and Google sign-in). Codes are stable; `oauthError` keeps the
 * server's own `error` value (RFC 6749 §5.2, RFC 8628 §3.5) for the curious. Messages never
 * contain tokens, codes or verifiers. The codes keep the `EAS_ERR_OAUTH_` prefix from when this
 * room lived under eas/ (it serves IMAP and JMAP too now): codes are stable for logs and scripts.
 *
 * | code | meaning | what happens |
 * | --- | --- | --- |
 * | `EAS_ERR_OAUTH_INVALID_GRANT` | refresh token or code expired, revoked or reused (`invalid_grant`) | needs-credentials: sign in again |
 * | `EAS_ERR_OAUTH_INTERACTION_REQUIRED` | the tenant wants consent, MFA or a fresh login (`interaction_required`, `consent_required`, `login_required`) | needs-credentials: sign in again |
 * | `EAS_ERR_OAUTH_NO_REFRESH_TOKEN` | nothing stored yet | needs-credentials: `tidings login` |
 * | `EAS_ERR_OAUTH_ACCESS_DENIED` | the user declined (`access_denied`) | sign-in ends |
 * | `EAS_ERR_OAUTH_EXPIRED_TOKEN` | the device code expired before the user finished (`expired_token`) | start the device flow again |
 * | `EAS_ERR_OAUTH_STATE_MISMATCH` | the loopback redirect carried a foreign `state` (RFC 6749 §10.12, CSRF) | sign-in ends |
 * | `EAS_ERR_OAUTH_AUTHORIZE` | the authorization endpoint answered another error | check client id / tenant |
 * | `EAS_ERR_OAUTH_SERVER` | the token endpoint answered another OAuth error (`invalid_client`, `invalid_scope`, …) | check client id / tenant / scope |
 * | `EAS_ERR_OAUTH_BAD_RESPONSE` | the answer was not the JSON RFC 6749 §5.1 describes | retry later; report a bug |
 * | `EAS_ERR_OAUTH_NETWORK` | network failure, timeout, HTTP 429 or 5xx | transient: back off and retry |
 * | `EAS_ERR_OAUTH_TIMEOUT` | the browser sign-in was not completed in time | sign in again |
 * | `EAS_ERR_OAUTH_BROWSER` | the system browser could not be started | open the printed URL by hand |
 * | `EAS_ERR_OAUTH_INSECURE_ENDPOINT` | the authority is not https (plain http is allowed for loopback test servers only) | fix `authority` |
 * | `EAS_ERR_OAUTH_ABORTED` | the caller's AbortSignal fired | — |
 * | `EAS_ERR_OAUTH_CLIENT_SECRET` | a Google account has no client secret (config `oauth2.clientSecret`, `TIDINGS_GOOGLE_CLIENT_SECRET` or the build's) | set it (docs/gmail.md) |
 * | `EAS_ERR_OAUTH_UNSUPPORTED_FLOW` | the device code was asked of a provider whose device flow cannot grant the scope (Google refuses `https://mail.google.com/` there) | sign in with the browser (an SSH tunnel to the loopback port works) |
 * | `EAS_ERR_OAUTH_PERSIST` | a rotated refresh token could not be stored (logged, not thrown: the token stays in memory) | check the keyring |
 */
export type OAuthErrorCode =
  | 'EAS_ERR_OAUTH_INVALID_GRANT'
  | 'EAS_ERR_OAUTH_INTERACTION_REQUIRED'
  | 'EAS_ERR_OAUTH_NO_REFRESH_TOKEN'
  | 'EAS_ERR_OAUTH_ACCESS_DENIED'
  | 'EAS_ERR_OAUTH_EXPIRED_TOKEN'
  | 'EAS_ERR_OAUTH_STATE_MISMATCH'
  | 'EAS_ERR_OAUTH_AUTHORIZE'
  | 'EAS_ERR_OAUTH_SERVER'
  | 'EAS_ERR_OAUTH_BAD_RESPONSE'
  | 'EAS_ERR_OAUTH_NETWORK'
  | 'EAS_ERR_OAUTH_TIMEOUT'
  | 'EAS_ERR_OAUTH_BROWSER'
  | 'EAS_ERR_OAUTH_INSECURE_ENDPOINT'
  | 'EAS_ERR_OAUTH_ABORTED'
  | 'EAS_ERR_OAUTH_CLIENT_SECRET'
  | 'EAS_ERR_OAUTH_UNSUPPORTED_FLOW'
  | 'EAS_ERR_OAUTH_PERSIST';

const NEEDS_CREDENTIALS: ReadonlySet<OAuthErrorCode> = new Set([
  'EAS_ERR_OAUTH_INVALID_GRANT',
  'EAS_ERR_OAUTH_INTERACTION_REQUIRED',
  'EAS_ERR_OAUTH_NO_REFRESH_TOKEN',
]);

/** The one error class of the OAuth module. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly code: OAuthErrorCode;
  /** The server's `error` value, when it sent one. */
  readonly oauthError?: string;
  /** HTTP status of the answer, when there was one. */
  readonly status?: number;

  constructor(
    code: OAuthErrorCode,
    message: string,
    opts: { oauthError?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.oauthError !== undefined) this.oauthError = opts.oauthError;
    if (opts.status !== undefined) this.status = opts.status;
  }

  /** True when only a new sign-in helps: the watcher enters needs-credentials and stops retrying. */
  get needsCredentials(): boolean {
    return NEEDS_CREDENTIALS.has(this.code);
  }

  /** True when retrying later may succeed (network, 429, 5xx). */
  get transient(): boolean {
    return this.code === 'EAS_ERR_OAUTH_NETWORK';
  }
}
