/**
 * Errors of the daemon's composition root (daemon.ts and setup/). Most faults keep the code of
 * the room they come from (`NET_ERR_TLS_FILE`, `SECRET_ERR_…`); these are the daemon's own.
 *
 * | code | when |
 * | --- | --- |
 * | `DAEMON_ERR_ACCOUNT_START` | an account's watcher could not be built for a reason without a code of its own; the account shows `error`, the others run |
 * | `DAEMON_ERR_STOPPING` | a setup step was added after the daemon began to stop (a start raced a shutdown) |
 */
export type DaemonErrorCode = 'DAEMON_ERR_ACCOUNT_START' | 'DAEMON_ERR_STOPPING';

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  readonly code: DaemonErrorCode;

  constructor(code: DaemonErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
