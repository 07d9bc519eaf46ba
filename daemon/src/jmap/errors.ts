import { CodedError } from '../coded-error';

/**
 * Errors of the JMAP room (RFC 8620 / RFC 8621). Every failure is a `JmapError` with a stable code:
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `JMAP_ERR_CONFIG` | the account URL cannot be used, or its `tls` / `proxy` settings cannot be read | fix the account in the config |
 * | `JMAP_ERR_SECRET` | the account's secret (password, token, refresh token) could not be read | fix the secret source (needs-credentials) |
 * | `JMAP_ERR_UNAUTHORIZED` | HTTP 401 on the session, API or push URL | update the password or token (needs-credentials) |
 * | `JMAP_ERR_FORBIDDEN` | HTTP 403, or the session names no account with mail | check the account's rights on the server |
 * | `JMAP_ERR_NETWORK` | connection refused, reset or dropped mid-answer | nothing; retried with back-off |
 * | `JMAP_ERR_TIMEOUT` | no complete answer within the request's deadline | nothing; retried with back-off |
 * | `JMAP_ERR_TOO_LARGE` | an answer beyond its size cap (checked as it streams in, before buffering) | report the server; nothing is processed |
 * | `JMAP_ERR_RATE_LIMITED` | HTTP 429 or 503, or RFC 8620 §3.6.1 `limit` problem | nothing; the watcher waits as told (Retry-After) |
 * | `JMAP_ERR_SERVER` | HTTP 5xx, or a method answered `serverFail` / `serverUnavailable` | nothing; retried with back-off |
 * | `JMAP_ERR_HTTP` | any other unexpected HTTP status | report it: the server answered something we do not expect |
 * | `JMAP_ERR_REDIRECT` | a redirect (or a URL in the session) to another origin or to plain http: credentials are never sent there | a redirect waits in needs-confirmation: `tidings account accept-move <id>` follows it; else give the server's own JMAP URL in `url` |
 * | `JMAP_ERR_SESSION` | the session resource is not a JMAP session (RFC 8620 §2), lacks the mail capability, or names no usable account | check `url`: it must lead to `/.well-known/jmap` |
 * | `JMAP_ERR_PROTOCOL` | an API answer that is not the JSON the request asks for (RFC 8620 §3.4) | report the server; retried with back-off |
 * | `JMAP_ERR_METHOD` | a method-level error other than the ones above (RFC 8620 §3.6.2), e.g. `unknownMethod`, `invalidArguments` | report the server |
 * | `JMAP_ERR_CANNOT_CALCULATE` | `cannotCalculateChanges` (RFC 8620 §5.2): the stored state is too old | nothing; the account is re-baselined with reconcile |
 * | `JMAP_ERR_NOT_CONNECTED` | mark-read asked of an account that is not connected (stopped, backing off, waiting for the user) | try again once the account is waiting |
 * | `JMAP_ERR_NO_SUCH_ITEM` | mark-read of a mailbox the account does not watch, or of mail the server does not have (any more) | use the folder and item ids a signal carried |
 * | `JMAP_ERR_PUSH` | the push stream failed, stalled, or does not push (an EventSource that ends at once) | nothing; reconnected with back-off, or `Email/changes` on an interval |
 */
export type JmapErrorCode =
  | 'JMAP_ERR_CONFIG'
  | 'JMAP_ERR_SECRET'
  | 'JMAP_ERR_UNAUTHORIZED'
  | 'JMAP_ERR_FORBIDDEN'
  | 'JMAP_ERR_NETWORK'
  | 'JMAP_ERR_TIMEOUT'
  | 'JMAP_ERR_TOO_LARGE'
  | 'JMAP_ERR_RATE_LIMITED'
  | 'JMAP_ERR_SERVER'
  | 'JMAP_ERR_HTTP'
  | 'JMAP_ERR_REDIRECT'
  | 'JMAP_ERR_SESSION'
  | 'JMAP_ERR_PROTOCOL'
  | 'JMAP_ERR_METHOD'
  | 'JMAP_ERR_CANNOT_CALCULATE'
  | 'JMAP_ERR_NOT_CONNECTED'
  | 'JMAP_ERR_NO_SUCH_ITEM'
  | 'JMAP_ERR_PUSH';

/** What a person needs to act: which request, where, what the server said. Never a secret. */
export interface JmapErrorContext {
  /** `GET session`, a method name (`Email/changes`), `EventSource`, `WebSocket`. */
  request?: string;
  /** URL without userinfo or query. */
  url?: string;
  status?: number;
  /** RFC 8620 problem `type` or method error `type`. */
  type?: string;
  /** The server's own words (problem `detail`, method error `description`). */
  serverText?: string;
  /** Parsed Retry-After, ms. */
  retryAfterMs?: number;
  /** Cap or deadline crossed (bytes or ms). */
  limit?: number;
  /** JMAP_ERR_REDIRECT: where the server sends us (without userinfo), for `account accept-move`. */
  location?: string;
}

/** The one error class of daemon/src/jmap. */
export class JmapError extends CodedError<JmapErrorCode, JmapErrorContext> {
  override readonly name = 'JmapError';
}

/** One redaction for every room (net/safe-url.ts); re-exported for this room's callers. */
export { safeUrl } from '../net/safe-url';
