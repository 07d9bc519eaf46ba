/**
 * Errors of the tray room. Every failure the settings window or the tray can show carries one
 * of these codes, so the page picks its wording from the code and never parses messages.
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `TRAY_ERR_DAEMON_UNREACHABLE` | the daemon's socket does not answer (not running, crashed, restarting) | wait for the reconnect, or run `tidings daemon` |
 * | `TRAY_ERR_DAEMON` | the daemon answered with a JSON-RPC error; `rpcCode` holds the `IpcErrorCode` | read the message; it names the field or the server step |
 * | `TRAY_ERR_INVALID_INPUT` | a value from the settings window failed validation in main | fix the named field |
 * | `TRAY_ERR_URL_NOT_ALLOWED` | an external URL with a scheme other than https or mailto | configure an https web URL |
 * | `TRAY_ERR_SIGN_IN` | the OAuth sign-in in the browser failed, was refused by the provider, or timed out (5 min) | sign in again; the message carries the provider's reason (AADSTS…) |
 * | `TRAY_ERR_UNSUPPORTED` | the running daemon does not offer this call (older protocol) | update the daemon |
 * | `TRAY_ERR_DISCOVERY` | no IMAP server answered for the e-mail address (RFC 6186 SRV records, then imap./mail. host names); the message lists what was tried | enter the IMAP server, port and security by hand |
 */
export type TrayErrorCode =
  | 'TRAY_ERR_DAEMON_UNREACHABLE'
  | 'TRAY_ERR_DAEMON'
  | 'TRAY_ERR_INVALID_INPUT'
  | 'TRAY_ERR_URL_NOT_ALLOWED'
  | 'TRAY_ERR_SIGN_IN'
  | 'TRAY_ERR_UNSUPPORTED'
  | 'TRAY_ERR_DISCOVERY';

/** The serialisable shape of an error as it crosses the preload bridge. */
export interface TrayErrorInfo {
  code: TrayErrorCode;
  message: string;
  /** Dotted path of the offending field, for TRAY_ERR_INVALID_INPUT and INVALID_CONFIG. */
  field?: string;
  /** The daemon's JSON-RPC error code, for TRAY_ERR_DAEMON. */
  rpcCode?: number;
}

/** An error raised in the main process; `toInfo()` is what the renderer receives. */
export class TrayError extends Error {
  override readonly name = 'TrayError';
  readonly code: TrayErrorCode;
  readonly field: string | undefined;
  readonly rpcCode: number | undefined;

  constructor(
    code: TrayErrorCode,
    message: string,
    opts: { field?: string; rpcCode?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.field = opts.field;
    this.rpcCode = opts.rpcCode;
  }

  /** Plain data for the bridge: structured clone drops class identity, so send fields. */
  toInfo(): TrayErrorInfo {
    const info: TrayErrorInfo = { code: this.code, message: this.message };
    if (this.field !== undefined) info.field = this.field;
    if (this.rpcCode !== undefined) info.rpcCode = this.rpcCode;
    return info;
  }
}
