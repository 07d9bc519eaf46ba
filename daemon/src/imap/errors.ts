import { CodedError } from '../coded-error';

/**
 * Errors of the IMAP room (issue 17). Every failure is an `ImapError` with a stable code; the
 * server's tagged status and text ride along (as imapflow's `enhanceCommandError` does).
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `IMAP_ERR_CONFIG` | the account cannot be turned into a connection (unreadable `tls.ca`, bad host) | fix the account in the config |
 * | `IMAP_ERR_NETWORK` | connection refused, reset, dropped, or TLS failed to set up | nothing; the watcher reconnects with back-off |
 * | `IMAP_ERR_TLS` | the server's certificate did not verify (unknown CA, wrong host name, expired) | add the CA with `tls.ca`, or fix `host` |
 * | `IMAP_ERR_TIMEOUT` | no greeting, connection or command answer within its deadline | nothing; reconnected with back-off |
 * | `IMAP_ERR_AUTH` | the server refused LOGIN / AUTHENTICATE (`NO [AUTHENTICATIONFAILED]`) | update the password or sign in again (needs-credentials) |
 * | `IMAP_ERR_SECRET` | the account's secret or OAuth token could not be read | fix the secret source (needs-credentials) |
 * | `IMAP_ERR_BYE` | the server ended the session (`* BYE`: shutdown, idle limit, mailbox deleted) | nothing; reconnected with back-off |
 * | `IMAP_ERR_NO_MAILBOX` | a watched mailbox does not exist (`NO [NONEXISTENT]`) or was deleted | fix `mailboxes`; the others stay watched |
 * | `IMAP_ERR_COMMAND` | the server answered a command with NO or BAD | report it with the server text; retried with back-off |
 * | `IMAP_ERR_TOO_LARGE` | an answer beyond the literal / line / response caps (`maxLiteralBytes`) | raise `maxLiteralBytes` if the server is trusted |
 * | `IMAP_ERR_PROTOCOL` | an answer that is not IMAP or lacks what the command requires (no UIDVALIDITY) | report the server |
 * | `IMAP_ERR_NOT_CONNECTED` | mark-read asked of an account that is not connected (backing off, waiting for the user) | try again once it is |
 * | `IMAP_ERR_NO_SUCH_ITEM` | mark-read of a mailbox the account does not watch, or of ids that are not UIDs | give a watched mailbox and the UIDs a signal named |
 * | `IMAP_ERR_DISCOVERY` | no IMAP server found for an e-mail address (RFC 6186 SRV, imap./mail. host names) | give `--host` |
 */
export type ImapErrorCode =
  | 'IMAP_ERR_CONFIG'
  | 'IMAP_ERR_NETWORK'
  | 'IMAP_ERR_TLS'
  | 'IMAP_ERR_TIMEOUT'
  | 'IMAP_ERR_AUTH'
  | 'IMAP_ERR_SECRET'
  | 'IMAP_ERR_BYE'
  | 'IMAP_ERR_NO_MAILBOX'
  | 'IMAP_ERR_COMMAND'
  | 'IMAP_ERR_TOO_LARGE'
  | 'IMAP_ERR_PROTOCOL'
  | 'IMAP_ERR_NOT_CONNECTED'
  | 'IMAP_ERR_NO_SUCH_ITEM'
  | 'IMAP_ERR_DISCOVERY';

/** What a person needs to act: which command, which mailbox, what the server said. Never a secret. */
export interface ImapErrorContext {
  command?: string;
  mailbox?: string;
  host?: string;
  /** Tagged status of the server's answer (NO, BAD). */
  status?: string;
  /** Response code in brackets, e.g. AUTHENTICATIONFAILED, NONEXISTENT. */
  responseCode?: string;
  /** Human text the server sent. */
  serverText?: string;
  /** The cap that was hit, bytes. */
  limit?: number;
}

/** The one error class of daemon/src/imap. */
export class ImapError extends CodedError<ImapErrorCode, ImapErrorContext> {
  override readonly name = 'ImapError';

  /** Worth a reconnect with back-off (the server or the path to it may recover). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

const TRANSIENT: ReadonlySet<ImapErrorCode> = new Set([
  'IMAP_ERR_NETWORK',
  'IMAP_ERR_TIMEOUT',
  'IMAP_ERR_BYE',
  'IMAP_ERR_COMMAND',
  'IMAP_ERR_PROTOCOL',
]);

/** The fields imapflow hangs on its errors (lib/tools.js enhanceCommandError, lib/errors.js). */
interface FlowErrorShape {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
  responseStatus?: unknown;
  responseText?: unknown;
  executedCommand?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Turns whatever imapflow or node:net/tls threw into an ImapError with a code. Pure: tests feed
 * it the shapes imapflow produces.
 */
export function toImapError(err: unknown, context: ImapErrorContext = {}): ImapError {
  if (err instanceof ImapError) return err;
  const e = (err ?? {}) as FlowErrorShape;
  const code = str(e.code) ?? '';
  const message = str(e.message) ?? String(err);
  const responseCode = str(e.serverResponseCode);
  const ctx: ImapErrorContext = {
    ...context,
    ...(str(e.responseStatus) ? { status: str(e.responseStatus) } : {}),
    ...(responseCode ? { responseCode } : {}),
    ...(str(e.responseText) ? { serverText: str(e.responseText) } : {}),
  };
  const make = (c: ImapErrorCode, m: string) => new ImapError(c, m, ctx, { cause: err });
  if (
    e.authenticationFailed === true ||
    responseCode === 'AUTHENTICATIONFAILED' ||
    code === 'AUTHENTICATIONFAILED'
  )
    return make('IMAP_ERR_AUTH', `The server refused the login: ${ctx.serverText ?? message}`);
  if (
    // imapflow's STATUS answers a NO by LISTing the name and throws NotFound when it is not there.
    code === 'NotFound' ||
    responseCode === 'NONEXISTENT' ||
    (ctx.status === 'NO' && /doesn't exist|does not exist|not found|nonexistent/i.test(ctx.serverText ?? ''))
  )
    return make(
      'IMAP_ERR_NO_MAILBOX',
      `Mailbox ${context.mailbox ?? ''} does not exist on the server`.replace('  ', ' '),
    );
  if (
    ['LiteralTooLarge', 'LineTooLarge', 'ResponseTooLarge', 'TooManyTokens', 'TooManyResponses'].includes(
      code,
    )
  )
    return make(
      'IMAP_ERR_TOO_LARGE',
      `The server's answer is larger than allowed (${code}); raise maxLiteralBytes if it is trusted`,
    );
  if (
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_)/.test(
      code,
    )
  )
    return make('IMAP_ERR_TLS', `TLS: ${message}`);
  if (
    code === 'CONNECT_TIMEOUT' ||
    code === 'GREETING_TIMEOUT' ||
    code === 'ETIMEOUT' ||
    code === 'UPGRADE_TIMEOUT' ||
    code === 'ETIMEDOUT'
  )
    return make('IMAP_ERR_TIMEOUT', `No answer in time (${code})`);
  if (code === 'ServerBye' || /\bBYE\b/.test(message))
    return make('IMAP_ERR_BYE', `The server ended the session: ${message}`);
  if (ctx.status === 'NO' || ctx.status === 'BAD')
    return make(
      'IMAP_ERR_COMMAND',
      `${context.command ?? 'Command'} failed: ${ctx.status} ${ctx.serverText ?? message}`,
    );
  if (
    /^E[A-Z]+$/.test(code) ||
    [
      'NoConnection',
      'EConnectionClosed',
      'StateLogout',
      'ClosedAfterConnectText',
      'ClosedAfterConnectTLS',
    ].includes(code) ||
    /closed|ECONN|EPIPE|socket/i.test(message)
  )
    return make('IMAP_ERR_NETWORK', `Connection failed: ${message}`);
  return make('IMAP_ERR_PROTOCOL', `Unexpected IMAP failure: ${message}`);
}
