import type { EasError } from './errors';

/**
 * Why a failed session needs a person before it may try again. Protocol words, not watcher
 * states: the watcher maps them to its own (`credentials` → needs-credentials, `move` →
 * needs-confirmation, `refused` → disabled), so this room does not import watch/.
 */
export type UserAction =
  /** 401, expired password: a new secret (or `wake`) is needed. */
  | 'credentials'
  /** 451 / a redirect to another origin: `account accept-move` (issue 13). */
  | 'move'
  /** 403, blocked device, refused policy, no common version: the account is off until reloaded. */
  | 'refused';

/** What the watcher does after a failed session. */
export type Recovery =
  | { kind: 'wait-for-user'; need: UserAction }
  | { kind: 'wiped' }
  /** Reconnect at once (a new session starts with FolderSync); `reset` restarts the hierarchy from "0". */
  | { kind: 'resync'; reset: boolean }
  | { kind: 'retry'; baseMs: number; capMs: number };

/**
 * The one table from error to next step (docs/eas.md, "Errors"). Credentials problems wait for
 * the user — retrying a 401 only locks the account (no retry storm); refusals by policy or
 * administrator disable the account until it is reloaded; everything else backs off with
 * jitter, honouring Retry-After.
 */
export function recoveryFor(e: EasError): Recovery {
  switch (e.code) {
    case 'EAS_ERR_AUTH':
    case 'EAS_ERR_PASSWORD_EXPIRED':
      return { kind: 'wait-for-user', need: 'credentials' };
    case 'EAS_ERR_FORBIDDEN':
    case 'EAS_ERR_ACCOUNT_BLOCKED':
    case 'EAS_ERR_POLICY_REFUSED':
    case 'EAS_ERR_NO_COMMON_VERSION':
    case 'EAS_ERR_NO_URL':
      return { kind: 'wait-for-user', need: 'refused' };
    case 'EAS_ERR_MOVE_UNCONFIRMED':
      // Issue 13: credentials never follow a move to another origin without the user.
      return { kind: 'wait-for-user', need: 'move' };
    case 'EAS_ERR_REMOTE_WIPED':
      return { kind: 'wiped' };
    case 'EAS_ERR_HIERARCHY_CHANGED':
      return { kind: 'resync', reset: false };
    case 'EAS_ERR_SYNC_STATE':
      // Status 132–136: the server lost our state; only a fresh hierarchy (and baselines) helps.
      return { kind: 'resync', reset: true };
    case 'EAS_ERR_MAILBOX_FULL':
      // A full mailbox does not empty itself in seconds: start at 5 minutes, cap at an hour.
      return { kind: 'retry', baseMs: 5 * 60_000, capMs: 3600_000 };
    case 'EAS_ERR_TOO_LARGE':
      // The same oversized answer comes back on a quick retry: start at a minute, cap at an hour.
      return { kind: 'retry', baseMs: 60_000, capMs: 3600_000 };
    default:
      return { kind: 'retry', baseMs: 2_000, capMs: 15 * 60_000 };
  }
}
