import { CodedError } from '../coded-error';

/**
 * Errors of the CalDAV/CardDAV room. Every failure is a `DavError` with a stable code:
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `DAV_ERR_CONFIG` | the account URL / e-mail cannot be turned into a server URL | fix `url` in the config |
 * | `DAV_ERR_NETWORK` | connection refused, reset or dropped mid-answer | nothing; the watcher retries with back-off |
 * | `DAV_ERR_TIMEOUT` | no answer headers or body within the request timeout | nothing; retried with back-off |
 * | `DAV_ERR_UNAUTHORIZED` | HTTP 401 | update the password (watcher enters needs-credentials) |
 * | `DAV_ERR_SECRET` | the account's secret could not be read (keyring locked, command failed) | fix the secret source (needs-credentials) |
 * | `DAV_ERR_FORBIDDEN` | HTTP 403 without a known precondition | check the account's rights on the server |
 * | `DAV_ERR_NOT_FOUND` | HTTP 404/410 on a home or collection | re-discovery runs; check the URL |
 * | `DAV_ERR_RATE_LIMITED` | HTTP 429 or 503 (with or without Retry-After) | nothing; the watcher waits as told |
 * | `DAV_ERR_SERVER` | any other HTTP 5xx | nothing; retried with back-off |
 * | `DAV_ERR_HTTP` | any other unexpected status | report it: the server answered something we do not expect |
 * | `DAV_ERR_TOO_MANY_REDIRECTS` | more than the allowed redirects, or a redirect loop | fix `url` |
 * | `DAV_ERR_BODY_TOO_LARGE` | a response body beyond the size cap (checked while streaming) | report the server; nothing is processed |
 * | `DAV_ERR_XML_HOSTILE` | a DOCTYPE or ENTITY declaration (entity expansion, external entities) | report the server; nothing is processed |
 * | `DAV_ERR_XML_MALFORMED` | a body that is not well-formed XML | nothing; retried with back-off |
 * | `DAV_ERR_BAD_MULTISTATUS` | well-formed XML that is not the multistatus the request asks for | report the server |
 * | `DAV_ERR_INVALID_SYNC_TOKEN` | RFC 6578 §3.2 `DAV:valid-sync-token` precondition failed | nothing; the collection is re-baselined |
 * | `DAV_ERR_DISCOVERY` | RFC 6764 / RFC 5397 discovery found no principal or home set | give the full collection or home URL |
 * | `DAV_ERR_PUSH` | WebDAV-Push registration refused | nothing; the watcher keeps polling |
 */
export type DavErrorCode =
  | 'DAV_ERR_CONFIG'
  | 'DAV_ERR_NETWORK'
  | 'DAV_ERR_TIMEOUT'
  | 'DAV_ERR_UNAUTHORIZED'
  | 'DAV_ERR_SECRET'
  | 'DAV_ERR_FORBIDDEN'
  | 'DAV_ERR_NOT_FOUND'
  | 'DAV_ERR_RATE_LIMITED'
  | 'DAV_ERR_SERVER'
  | 'DAV_ERR_HTTP'
  | 'DAV_ERR_TOO_MANY_REDIRECTS'
  | 'DAV_ERR_BODY_TOO_LARGE'
  | 'DAV_ERR_XML_HOSTILE'
  | 'DAV_ERR_XML_MALFORMED'
  | 'DAV_ERR_BAD_MULTISTATUS'
  | 'DAV_ERR_INVALID_SYNC_TOKEN'
  | 'DAV_ERR_DISCOVERY'
  | 'DAV_ERR_PUSH';

/** What a person needs to act: which request, where, and what the server said. Never a secret. */
export interface DavErrorContext {
  method?: string;
  /** Request URL without userinfo or query. */
  url?: string;
  status?: number;
  /** RFC 4918 §16 precondition / postcondition element named in a DAV:error body. */
  condition?: string;
  /** Parsed Retry-After, ms (RFC 9110 §10.2.3). */
  retryAfterMs?: number;
  /** Size cap that was hit, bytes. */
  limit?: number;
}

/** The one error class of daemon/src/dav. */
export class DavError extends CodedError<DavErrorCode, DavErrorContext> {
  override readonly name = 'DavError';

  /** Errors worth retrying later with back-off (the server or the path to it may recover). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

const TRANSIENT: ReadonlySet<DavErrorCode> = new Set([
  'DAV_ERR_NETWORK',
  'DAV_ERR_TIMEOUT',
  'DAV_ERR_RATE_LIMITED',
  'DAV_ERR_SERVER',
  'DAV_ERR_XML_MALFORMED',
]);

/** One redaction for every room (net/safe-url.ts); re-exported for this room's callers. */
export { safeUrl } from '../net/safe-url';
