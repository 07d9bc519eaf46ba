import { CodedError } from '../coded-error';

/**
 * Errors of the state store. Every failure is a `StoreError` with a stable code:
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `STORE_ERR_CORRUPT` | the state file is not a SQLite database, or `quick_check` finds damage | stop the daemon, move the named file aside; the next start re-baselines every account (nothing old is announced, nothing is lost on the servers) |
 * | `STORE_ERR_LOCKED` | another daemon instance holds the state file | stop the other instance (`tidings status` names its pid), or point this one at another state dir |
 * | `STORE_ERR_TOO_NEW` | the file's schema version is newer than this build knows | run the newer Tidings, or move the file aside |
 * | `STORE_ERR_PERMISSIONS` | the state dir or file is owned by another user, or cannot be created / chmod'ed | fix ownership of the named path (it must be yours, dir 0700, file 0600) |
 * | `STORE_ERR_IO` | the disk refused a read or write (full, read-only, I/O error) | free space / fix the disk; the daemon stops rather than lose a commit |
 * | `STORE_ERR_VALUE` | a value to store cannot be serialised to JSON (cycle, BigInt) | a bug: report it with the key named in the message |
 * | `STORE_ERR_CLOSED` | a call after `close()` | a bug in the caller's shutdown order |
 */
export type StoreErrorCode =
  | 'STORE_ERR_CORRUPT'
  | 'STORE_ERR_LOCKED'
  | 'STORE_ERR_TOO_NEW'
  | 'STORE_ERR_PERMISSIONS'
  | 'STORE_ERR_IO'
  | 'STORE_ERR_VALUE'
  | 'STORE_ERR_CLOSED';

/** What a person needs to act: which file, which account or key. */
export interface StoreErrorContext {
  /** The state file or directory concerned. */
  path?: string;
  accountId?: string;
  key?: string;
  /** SQLite's own error code (SQLITE_BUSY, SQLITE_NOTADB …). */
  sqliteCode?: string;
}

/** The one error class of daemon/src/store. */
export class StoreError extends CodedError<StoreErrorCode, StoreErrorContext> {
  override readonly name = 'StoreError';
}
