/**
 * Errors of the HTTP edge (net/): building a dispatcher and the limits every exchange enforces.
 * The protocol rooms map them to their own codes (eas/transport.ts keeps the `NET_ERR_*` code as
 * `serverText`, so status and logs still name it).
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `NET_ERR_TLS_FILE` | `tls.ca`, `tls.cert` or `tls.key` names a file that cannot be read | fix the path or the file's permissions |
 * | `NET_ERR_TLS_PAIR` | only one of `tls.cert` and `tls.key` is given | give both or neither |
 * | `NET_ERR_PROXY_URL` | `proxy` is not a URL | fix `proxy` in the config |
 * | `NET_ERR_BODY_TOO_LARGE` | a response body beyond the request's cap (checked as it streams in, before buffering) | report the server; for Sync raise `limits.syncBytes` |
 * | `NET_ERR_DEADLINE` | the whole exchange (headers and body) took longer than its total deadline | nothing; retried with back-off (a trickling server) |
 */
export type NetErrorCode =
  | 'NET_ERR_TLS_FILE'
  | 'NET_ERR_TLS_PAIR'
  | 'NET_ERR_PROXY_URL'
  | 'NET_ERR_BODY_TOO_LARGE'
  | 'NET_ERR_DEADLINE';

/** What a net/ error carries besides its code. */
export interface NetErrorContext {
  /** The config field at fault (`tls.ca`, `proxy`). */
  field?: string;
  /** The cap or deadline that was crossed (bytes or ms). */
  limit?: number;
  cause?: unknown;
}

/** A failure of the HTTP edge, with a stable code (undici's lib/core/errors.js shape). */
export class NetError extends Error {
  readonly code: NetErrorCode;
  readonly field?: string;
  readonly limit?: number;

  constructor(code: NetErrorCode, message: string, ctx: NetErrorContext = {}) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = 'NetError';
    this.code = code;
    if (ctx.field !== undefined) this.field = ctx.field;
    if (ctx.limit !== undefined) this.limit = ctx.limit;
  }
}
