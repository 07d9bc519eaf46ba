import type { Account } from '../config/account';
import type { NotificationsConfig, QuietHoursConfig, RuleConfig } from '../config/rules';
import type { ChangeSignal } from '../signal';
import type { WatcherStatus } from '../watch/types';

/**
 * The daemon's JSON-RPC 2.0 protocol over its Unix socket / named pipe (DESIGN.md "IPC").
 * One map from method to params/result types, shared by the server, the CLI and the tray
 * (as hyper's IpcCommands does), so both ends are typed from the same source.
 *
 * Protocol 2: `subscribe` sends one full `status` notification, then only `status.changed`
 * deltas (protocol 1 repeated the full status, megabytes at 10 000 accounts). A protocol 1
 * client would never see a status change again, so the version was bumped, not kept.
 */
export const IPC_PROTOCOL_VERSION = 2;

export interface AccountSummary {
  id: string;
  kind: Account['kind'];
  name: string;
  enabled: boolean;
  status: WatcherStatus;
  /** Changes announced since the client last called `markSeen`. */
  unseen: number;
  webUrl?: string;
  /**
   * How the account signs in (config/account.ts `accountAuthKind`): the tray offers "Sign in
   * with Microsoft/Google" for `oauth2`, "Replace API token" for `token` (JMAP bearer) and
   * "Re-enter password" for `basic`.
   */
  auth?: 'basic' | 'token' | 'oauth2';
  /** Whose sign-in an `oauth2` account uses (absent for a JMAP `oauth2` account's own authority). */
  oauthProvider?: 'microsoft' | 'google';
}

export interface DaemonStatus {
  version: string;
  pid: number;
  startedAt: string;
  configPath: string;
  demo: boolean;
  /** Notifications paused until this ISO time (daemon-wide), if paused. */
  pausedUntil?: string;
  quietHours?: { start: string; end: string; active: boolean };
  accounts: AccountSummary[];
}

/** The daemon-wide part of DaemonStatus (everything but the accounts). */
export type DaemonHeader = Omit<DaemonStatus, 'accounts'>;

/**
 * `status.changed`: what changed since the last status notification this client got. Applied
 * in order on top of the `status` snapshot sent at subscribe (`applyStatusDelta`), it gives
 * the daemon's current status. A burst of changes to one account is coalesced to its latest
 * summary; a client that was busy gets everything it missed merged into one delta.
 */
export interface StatusDelta {
  /** The whole daemon-wide part, sent only when some field of it changed (absent fields were cleared). */
  daemon?: DaemonHeader;
  /** Accounts added or changed, each with its whole new summary; added ones go last. */
  accounts?: AccountSummary[];
  /** Ids of accounts gone from the config. */
  removed?: string[];
}

export interface FolderInfo {
  id: string;
  name: string;
  collection: ChangeSignal['collection'];
  watched: boolean;
}

export interface TestResult {
  ok: boolean;
  /**
   * Named checks in order: dns, tls, autodiscover, auth, options, ping … `warn`: passed, but
   * not as it should (TLS verification turned off); the fix says what to change.
   */
  steps: { name: string; ok: boolean; warn?: boolean; note: string; fix?: string }[];
}

/** Parameters for adding an account; the secret travels once, to the keyring, never to config. */
export interface AccountAddParams {
  account: Account;
  secret?: string;
}

/** The config's `notifications` section as the daemon applies it (defaults filled), sinks left out. */
export type NotificationsSettings = Omit<NotificationsConfig, 'sinks'>;

/**
 * A change to the `notifications` section: each field given replaces the file's (the rest,
 * sinks included, stays as written); `quietHours: null` removes quiet hours.
 */
export interface NotificationsPatch {
  coalesceMs?: number;
  maxItems?: number;
  collections?: Partial<NotificationsConfig['collections']>;
  rules?: RuleConfig[];
  quietHours?: QuietHoursConfig | null;
}

export interface IpcMethods {
  hello: { params: { protocol: number; client: string }; result: { protocol: number; daemon: string } };
  status: { params: Record<string, never>; result: DaemonStatus };
  'accounts.list': { params: Record<string, never>; result: AccountSummary[] };
  'accounts.add': { params: AccountAddParams; result: AccountSummary };
  'accounts.remove': { params: { id: string }; result: { removed: boolean } };
  'accounts.test': { params: { id?: string; account?: Account; secret?: string }; result: TestResult };
  'accounts.setSecret': { params: { id: string; secret: string }; result: { ok: true } };
  /**
   * Follows the move an EAS account waits on in `needs-confirmation` (a 451 or redirect to
   * another origin or to plain http, issue 13 §2): the new address is stored and the account
   * reconnects there. −32602 when no move waits. Added compatibly in protocol 2.
   */
  'accounts.acceptMove': { params: { id: string }; result: { ok: true; url: string } };
  /**
   * Marks mail read on the server where the account's protocol allows it (EAS: a Sync Change of
   * Email:Read on the folder's current key, serialised with the watcher's own Syncs; issue 16).
   * `failed`: items the server answered with a Status. Errors: −32003 no account, −32602 an
   * account kind that cannot, −32006 with `data.code` (EAS_ERR_NOT_CONNECTED,
   * EAS_ERR_NO_SUCH_ITEM …). Added compatibly in protocol 2.
   */
  'items.markRead': {
    params: { accountId: string; folderId: string; itemIds: string[] };
    result: { marked: string[]; failed: { id: string; status: number }[] };
  };
  'folders.list': { params: { accountId: string }; result: FolderInfo[] };
  'folders.setWatched': { params: { accountId: string; folderIds: string[] }; result: FolderInfo[] };
  pause: { params: { until?: string; minutes?: number }; result: { pausedUntil: string } };
  resume: { params: Record<string, never>; result: { ok: true } };
  markSeen: { params: { accountId?: string }; result: { ok: true } };
  /**
   * Checks one account (or every running one) now instead of at its next interval; answers at
   * once with the accounts asked, what they find arrives as `signal`s. Added in protocol 2
   * (compatible): older daemons answer −32601 method not found.
   */
  check: { params: { accountId?: string }; result: { checking: string[] } };
  /** Sends the `status` snapshot before the answer; `status.changed` deltas follow. */
  /**
   * `after`: a signal id the client saw last (its cursor, kept across reconnects): everything
   * handed on since comes first, under the ids it had live, then live signals — no gap, nothing
   * twice (issue 13 §8). `replay`: the latest 50 instead. Added compatibly in protocol 2: an
   * older daemon answers −32602 for `after`, and the client subscribes again without it.
   */
  subscribe: {
    params: { replay?: boolean; after?: string };
    /**
     * `cursor`: where the client stands in the daemon's feed once subscribed — the id to pass
     * as `after` on a reconnect when no signal has arrived yet (a signal handed on but not yet
     * written when the daemon died comes then).
     */
    result: { subscribed: true; cursor?: string };
  };
  reload: { params: Record<string, never>; result: { ok: true; accounts: number } };
  /** Added in protocol 1 (compatible): older daemons answer −32601 method not found. */
  'notifications.get': { params: Record<string, never>; result: NotificationsSettings };
  /** Validated, written atomically to the config file, then applied as a reload. */
  'notifications.set': { params: NotificationsPatch; result: NotificationsSettings };
  shutdown: { params: Record<string, never>; result: { ok: true } };
}

export type IpcMethod = keyof IpcMethods;

/** Notifications the daemon sends to subscribed clients. */
export interface IpcNotifications {
  signal: ChangeSignal;
  /** The full status, once per `subscribe` (before its answer). */
  status: DaemonStatus;
  /** Later changes, throttled; see StatusDelta. */
  'status.changed': StatusDelta;
}

/**
 * JSON-RPC error codes (server-defined range −32000…−32099, JSON-RPC 2.0 §5.1), next to the
 * standard −32700 parse error, −32600 invalid request, −32601 method not found, −32602
 * invalid params.
 */
export const IpcErrorCode = {
  /** A call before `hello`. */
  HELLO_REQUIRED: -32001,
  /** `hello` with a protocol version this daemon does not speak. */
  PROTOCOL_MISMATCH: -32002,
  /** Unknown account id. */
  NO_SUCH_ACCOUNT: -32003,
  /** A config change that does not validate; data names the field path. */
  INVALID_CONFIG: -32004,
  /** The client fell too far behind and is being dropped. */
  SLOW_CLIENT: -32005,
  /** The operation failed on the server side (test-connection, keyring …). */
  OPERATION_FAILED: -32006,
  /** A frame larger than the limit. */
  FRAME_TOO_LARGE: -32007,
  /** No valid `hello` within the hello deadline (the connection closes). */
  HELLO_TIMEOUT: -32008,
  /** The daemon already holds its maximum of connections (this one closes at once). */
  TOO_MANY_CLIENTS: -32009,
  /**
   * The bytes the daemon holds for unfinished frames, over all connections, reached their cap:
   * the connection whose bytes would pass it closes.
   */
  OVERLOADED: -32010,
} as const;
