import type { Account } from '../../daemon/src/config/account';
import type {
  AccountAddParams,
  AccountSummary,
  DaemonStatus,
  FolderInfo,
  TestResult,
} from '../../daemon/src/ipc/protocol';
import type { ImapEndpoint } from '../../daemon/src/imap/discovery';
import type { TrayErrorInfo } from './errors';
import type { QuietHoursConfig, RuleConfig } from '../../daemon/src/config/rules';

/**
 * The one map from IPC channel to signature between the settings window and main (as hyper's
 * IpcCommands). `ipcMain.handle` in main and `ipcRenderer.invoke` in the preload are both typed
 * from it, so a renamed channel or changed argument fails the typecheck on both sides.
 */
export interface TrayInvokeMap {
  'tidings:accounts.list': { args: []; result: AccountSummary[] };
  'tidings:accounts.add': { args: [params: AccountAddParams]; result: AccountSummary };
  'tidings:accounts.test': {
    args: [params: { id?: string; account?: Account; secret?: string }];
    result: TestResult;
  };
  'tidings:accounts.remove': { args: [id: string]; result: { removed: boolean } };
  /**
   * The IMAP server of an e-mail address (RFC 6186 SRV, then imap./mail. host names), each
   * candidate checked for an IMAP greeting before it is offered; no credentials are involved.
   */
  'tidings:accounts.discoverImap': { args: [email: string]; result: ImapEndpoint };
  'tidings:accounts.setSecret': { args: [id: string, secret: string]; result: { ok: true } };
  /**
   * Follows the move an account waits on in `needs-confirmation` (a 451 or redirect to another
   * origin or to http, issue 13 §2): the daemon stores the new address and reconnects there.
   */
  'tidings:accounts.acceptMove': { args: [id: string]; result: { ok: true; url: string } };
  /** Opens the provider's sign-in page in the system browser; the daemon receives the code. */
  'tidings:accounts.oauthSignIn': { args: [id: string]; result: { opened: true } };
  'tidings:folders.list': { args: [accountId: string]; result: FolderInfo[] };
  'tidings:folders.setWatched': { args: [accountId: string, folderIds: string[]]; result: FolderInfo[] };
  /** The daemon's `notifications.rules` (first match decides). */
  'tidings:rules.get': { args: []; result: RuleConfig[] };
  'tidings:rules.set': { args: [rules: RuleConfig[]]; result: RuleConfig[] };
  /** The daemon's `notifications.quietHours`; null when there are none. */
  'tidings:quietHours.get': { args: []; result: QuietHoursConfig | null };
  'tidings:quietHours.set': { args: [quietHours: QuietHoursConfig | null]; result: QuietHoursConfig | null };
  'tidings:pause': { args: [params: { minutes?: number; until?: string }]; result: { pausedUntil: string } };
  'tidings:resume': { args: []; result: { ok: true } };
}

export type TrayInvokeChannel = keyof TrayInvokeMap;

/** Every invoke answers with a value or an error with a code; nothing is thrown across the bridge. */
export type BridgeResult<T> = { ok: true; value: T } | { ok: false; error: TrayErrorInfo };

/** How the tray currently reaches the daemon. */
export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'connected' }
  /** Not reachable; the next attempt is at `retryAt` (ISO). `reason` is plain words. */
  | { state: 'unreachable'; retryAt: string; reason: string; attempt: number };

/** Pushed to the settings window whenever the connection or the daemon's status changes. */
export interface TrayStatus {
  connection: ConnectionState;
  daemon?: DaemonStatus;
  /** Why no daemon can be started (not installed); the page says so instead of "retrying". */
  problem?: string;
}

/** Events main sends to the page; the preload maps friendly names through this table. */
export const TRAY_EVENTS = {
  status: 'tidings:event.status',
} as const;
export type TrayEventName = keyof typeof TRAY_EVENTS;
export interface TrayEventPayloads {
  status: TrayStatus;
}

/** Sent by the page once it listens, so main can flush events queued before that. */
export const READY_CHANNEL = 'tidings:ready';

/**
 * The verbs the preload exposes as `window.tidings`. Declared here, once, so the preload
 * implements it and the renderer's ambient declaration refers to it.
 */
export interface TidingsBridge {
  listAccounts(): Promise<BridgeResult<AccountSummary[]>>;
  addAccount(params: AccountAddParams): Promise<BridgeResult<AccountSummary>>;
  testConnection(params: {
    id?: string;
    account?: Account;
    secret?: string;
  }): Promise<BridgeResult<TestResult>>;
  removeAccount(id: string): Promise<BridgeResult<{ removed: boolean }>>;
  /** Finds the IMAP server (host, port, security) of an e-mail address. */
  discoverImap(email: string): Promise<BridgeResult<ImapEndpoint>>;
  setSecret(id: string, secret: string): Promise<BridgeResult<{ ok: true }>>;
  startOAuthSignIn(id: string): Promise<BridgeResult<{ opened: true }>>;
  /** Accepts the server move the account waits on (`status.move`); only a person's click does. */
  acceptMove(id: string): Promise<BridgeResult<{ ok: true; url: string }>>;
  listFolders(accountId: string): Promise<BridgeResult<FolderInfo[]>>;
  setWatchedFolders(accountId: string, folderIds: string[]): Promise<BridgeResult<FolderInfo[]>>;
  getRules(): Promise<BridgeResult<RuleConfig[]>>;
  setRules(rules: RuleConfig[]): Promise<BridgeResult<RuleConfig[]>>;
  getQuietHours(): Promise<BridgeResult<QuietHoursConfig | null>>;
  setQuietHours(quietHours: QuietHoursConfig | null): Promise<BridgeResult<QuietHoursConfig | null>>;
  pause(params: { minutes?: number; until?: string }): Promise<BridgeResult<{ pausedUntil: string }>>;
  resume(): Promise<BridgeResult<{ ok: true }>>;
  /** Calls `cb` with every status push until `opts.signal` aborts; also tells main the page is ready. */
  onStatus(cb: (status: TrayStatus) => void, opts: { signal: AbortSignal }): void;
}
