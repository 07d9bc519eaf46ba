/**
 * Errors of the EAS engine. Every error has a stable code, the command it came from, and what
 * the server said (HTTP status, EAS Status, text) so a person can act on it.
 *
 * | code                         | when                                                                 | watcher does        |
 * | ---------------------------- | -------------------------------------------------------------------- | ------------------- |
 * | `EAS_ERR_AUTH`               | HTTP 401 (after one forced token refresh for OAuth2)                 | needs-credentials   |
 * | `EAS_ERR_PASSWORD_EXPIRED`   | HTTP 457 (MS-ASHTTP 3.1.5.2.4)                                       | needs-credentials   |
 * | `EAS_ERR_FORBIDDEN`          | HTTP 403: user not enabled for ActiveSync                            | disabled            |
 * | `EAS_ERR_ACCOUNT_BLOCKED`    | HTTP 456, or Status 126–131 (user/device blocked, access denied)     | disabled            |
 * | `EAS_ERR_MAILBOX_FULL`       | HTTP 507 or Status 113: the server is out of space                   | backing-off (long)  |
 * | `EAS_ERR_THROTTLED`          | HTTP 503 with `X-MS-ASThrottle`, or Retry-After                      | backing-off         |
 * | `EAS_ERR_SERVER`             | other HTTP 5xx, Status 110/111/114                                   | backing-off         |
 * | `EAS_ERR_HTTP`               | other unexpected HTTP status (400, 404 …)                            | backing-off         |
 * | `EAS_ERR_REDIRECT`           | HTTP 451 without a usable `X-MS-Location`, or too many hops          | backing-off         |
 * | `EAS_ERR_MOVE_UNCONFIRMED`   | a 451 or redirect to another origin or from https to http: not followed until the user accepts it | needs-confirmation |
 * | `EAS_ERR_NEEDS_PROVISION`    | HTTP 449 or Status 141–144 (handled by re-provisioning, with a cap)  | re-provision        |
 * | `EAS_ERR_PROVISION_LOOP`     | the server still wants provisioning after the cap                    | backing-off         |
 * | `EAS_ERR_PROVISION`          | Provision itself failed (Status 2/3, bad Policy Status)              | backing-off         |
 * | `EAS_ERR_POLICY_REFUSED`     | Status 139/145: the server refuses a device that cannot honour it    | disabled            |
 * | `EAS_ERR_REMOTE_WIPED`       | AccountOnlyRemoteWipe/RemoteWipe acknowledged, account state deleted | disabled            |
 * | `EAS_ERR_NO_COMMON_VERSION`  | OPTIONS lists no protocol version we speak                           | disabled            |
 * | `EAS_ERR_NETWORK`            | DNS, TCP, TLS or socket failure                                      | backing-off         |
 * | `EAS_ERR_TIMEOUT`            | no whole answer within the request's total deadline (Ping: heartbeat + margin) | backing-off |
 * | `EAS_ERR_TOO_LARGE`          | an answer beyond its size cap (1 MB; Sync: `limits.syncBytes`), stopped while streaming | backing-off (long) |
 * | `EAS_ERR_PHANTOM_CHANGES`    | Ping keeps reporting changes that Sync does not find (status only; never thrown) | pauses, growing     |
 * | `EAS_ERR_BAD_RESPONSE`       | body is not WBXML or lacks a required element                        | backing-off         |
 * | `EAS_ERR_STATUS`             | a command Status the engine has no recovery for                      | backing-off         |
 * | `EAS_ERR_SYNC_STATE`         | invalid/stale SyncKey (Sync 3, FolderSync 9, Status 132–136)         | resync, no signals  |
 * | `EAS_ERR_HIERARCHY_CHANGED`  | Sync 12 / Ping 7 / FolderSync needed                                 | FolderSync          |
 * | `EAS_ERR_NO_URL`             | no EAS URL configured and no Autodiscover to ask                     | disabled            |
 * | `EAS_ERR_ABORTED`            | the request was cancelled (stop, wake)                               | —                   |
 * | `EAS_ERR_NOT_CONNECTED`      | a user's command (mark as read) while the account has no session (connecting, backing off, waiting for the user) | — (the caller retries later) |
 * | `EAS_ERR_NO_SUCH_ITEM`       | mark as read: the folder is not a watched mail folder, or the server answered Status 8 (object not found) for every item | — |
 */
export type EasErrorCode =
  | 'EAS_ERR_AUTH'
  | 'EAS_ERR_PASSWORD_EXPIRED'
  | 'EAS_ERR_FORBIDDEN'
  | 'EAS_ERR_ACCOUNT_BLOCKED'
  | 'EAS_ERR_MAILBOX_FULL'
  | 'EAS_ERR_THROTTLED'
  | 'EAS_ERR_SERVER'
  | 'EAS_ERR_HTTP'
  | 'EAS_ERR_REDIRECT'
  | 'EAS_ERR_MOVE_UNCONFIRMED'
  | 'EAS_ERR_TOO_LARGE'
  | 'EAS_ERR_PHANTOM_CHANGES'
  | 'EAS_ERR_NEEDS_PROVISION'
  | 'EAS_ERR_PROVISION_LOOP'
  | 'EAS_ERR_PROVISION'
  | 'EAS_ERR_POLICY_REFUSED'
  | 'EAS_ERR_REMOTE_WIPED'
  | 'EAS_ERR_NO_COMMON_VERSION'
  | 'EAS_ERR_NETWORK'
  | 'EAS_ERR_TIMEOUT'
  | 'EAS_ERR_BAD_RESPONSE'
  | 'EAS_ERR_STATUS'
  | 'EAS_ERR_SYNC_STATE'
  | 'EAS_ERR_HIERARCHY_CHANGED'
  | 'EAS_ERR_NO_URL'
  | 'EAS_ERR_ABORTED'
  | 'EAS_ERR_NOT_CONNECTED'
  | 'EAS_ERR_NO_SUCH_ITEM';

/** Context an EAS error carries. */
export interface EasErrorContext {
  /** EAS command (`Sync`, `Ping` …) or `OPTIONS`. */
  command?: string;
  httpStatus?: number;
  /** The EAS `Status` element value. */
  easStatus?: number;
  /** Short server text (reason phrase or body excerpt), never credentials. */
  serverText?: string;
  /** Milliseconds the server asked us to wait (Retry-After). */
  retryAfterMs?: number;
  /** The address a 451 or redirect moves the account to (EAS_ERR_MOVE_UNCONFIRMED). */
  location?: string;
  cause?: unknown;
}

/** Base class: a code, a message for people, and what the server said. */
export class EasError extends Error {
  readonly code: EasErrorCode;
  readonly command?: string;
  readonly httpStatus?: number;
  readonly easStatus?: number;
  readonly serverText?: string;
  readonly retryAfterMs?: number;
  readonly location?: string;

  constructor(code: EasErrorCode, message: string, ctx: EasErrorContext = {}) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = 'EasError';
    this.code = code;
    if (ctx.command !== undefined) this.command = ctx.command;
    if (ctx.httpStatus !== undefined) this.httpStatus = ctx.httpStatus;
    if (ctx.easStatus !== undefined) this.easStatus = ctx.easStatus;
    if (ctx.serverText !== undefined) this.serverText = ctx.serverText;
    if (ctx.retryAfterMs !== undefined) this.retryAfterMs = ctx.retryAfterMs;
    if (ctx.location !== undefined) this.location = ctx.location;
  }
}

/** The server answered with a non-200 HTTP status. */
export class HttpStatusError extends EasError {
  declare readonly httpStatus: number;
  constructor(code: EasErrorCode, message: string, ctx: EasErrorContext & { httpStatus: number }) {
    super(code, message, ctx);
    this.name = 'HttpStatusError';
  }
}

/** The server answered 200 with an EAS Status the command cannot proceed with. */
export class EasStatusError extends EasError {
  declare readonly easStatus: number;
  constructor(code: EasErrorCode, message: string, ctx: EasErrorContext & { easStatus: number }) {
    super(code, message, ctx);
    this.name = 'EasStatusError';
  }
}

/**
 * Maps an MS-ASCMD 2.2.2 common status (≥ 101, valid in any command response for 14.0+) to an
 * error, or undefined when the value is command-specific.
 */
export function commonStatusError(command: string, status: number): EasStatusError | undefined {
  const ctx = { command, easStatus: status };
  if (status === 110 || status === 111 || status === 114) {
    return new EasStatusError(
      'EAS_ERR_SERVER',
      `${command}: server error (Status ${status}), retrying later`,
      ctx,
    );
  }
  if (status === 113) {
    return new EasStatusError('EAS_ERR_MAILBOX_FULL', `${command}: mailbox quota exceeded (Status 113)`, ctx);
  }
  if (status >= 126 && status <= 131) {
    return new EasStatusError(
      'EAS_ERR_ACCOUNT_BLOCKED',
      `${command}: the server refuses this user or device (Status ${status}); ask the administrator`,
      ctx,
    );
  }
  if (status >= 132 && status <= 136) {
    return new EasStatusError(
      'EAS_ERR_SYNC_STATE',
      `${command}: server lost the sync state (Status ${status})`,
      ctx,
    );
  }
  if (status === 139 || status === 145) {
    return new EasStatusError(
      'EAS_ERR_POLICY_REFUSED',
      `${command}: the server's security policy requires device management Tidings cannot provide (Status ${status})`,
      ctx,
    );
  }
  if (status >= 140 && status <= 144) {
    // 140 RemoteWipeRequested, 141 LegacyDeviceOnStrictPolicy, 142 DeviceNotProvisioned,
    // 143 PolicyRefresh, 144 InvalidPolicyKey: all answered by a new Provision.
    return new EasStatusError(
      'EAS_ERR_NEEDS_PROVISION',
      `${command}: provisioning required (Status ${status})`,
      ctx,
    );
  }
  if (status >= 101) {
    return new EasStatusError('EAS_ERR_STATUS', `${command}: server returned Status ${status}`, ctx);
  }
  return undefined;
}
