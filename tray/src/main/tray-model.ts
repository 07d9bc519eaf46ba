import type { AccountSummary, DaemonStatus } from '../../../daemon/src/ipc/protocol';
import type { ConnectionState } from '../ipc-contract';

/** The four faces of the tray icon (build/icons/tray-<state>-…png). */
export type IconState = 'quiet' | 'new' | 'attention' | 'paused';
export const ICON_STATES: readonly IconState[] = ['quiet', 'new', 'attention', 'paused'];

/** The kinds' names as people know them; a kind a newer daemon adds shows its own name. */
const KIND_LABEL: Partial<Record<string, string>> = {
  exchange: 'Exchange',
  caldav: 'CalDAV',
  carddav: 'CardDAV',
  imap: 'IMAP',
  jmap: 'JMAP',
};

/** The badge on an account card: "IMAP", "JMAP" … */
export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind;
}

/** What a menu item does; the Electron adapter maps each kind to one call. */
export type MenuAction =
  | { kind: 'open-account'; accountId: string }
  | { kind: 'open-settings'; page?: 'accounts' | 'folders' | 'rules' | 'quiet-hours'; accountId?: string }
  | { kind: 'mark-seen' }
  /** Follow the server move an account waits on (the daemon's `accounts.acceptMove`, issue 13 §2). */
  | { kind: 'accept-move'; accountId: string }
  /** Check every account now (the daemon's `check`): CalDAV/CardDAV otherwise wait for the poll. */
  | { kind: 'check' }
  | { kind: 'pause'; minutes: number }
  | { kind: 'pause-until'; until: string }
  | { kind: 'resume' }
  | { kind: 'reconnect' }
  | { kind: 'toggle-open-at-login' }
  | { kind: 'quit' };

export type MenuEntry =
  | { type: 'separator' }
  | { type: 'item'; label: string; enabled: boolean; action?: MenuAction; checked?: boolean };

export interface TrayModelInput {
  connection: ConnectionState;
  /** Last status the daemon sent; absent before the first one. */
  daemon?: DaemonStatus;
  now: Date;
  /** The OS panel's theme: a dark panel needs a light glyph. */
  theme: 'light' | 'dark';
  platform: string;
  /** The tray starts when the user logs in. */
  openAtLogin: boolean;
  /** Why no daemon can be started (none bundled, none on PATH, spawn failed); shown instead of retries. */
  daemonProblem?: string;
}

export interface TrayModel {
  state: IconState;
  /** File name inside build/icons. */
  icon: string;
  tooltip: string;
  menu: MenuEntry[];
}

/** Local morning the "until tomorrow" pause ends at. */
const TOMORROW_HOUR = 8;

/** "40 s", "3 min", "2 h": rounded up, so "retrying in 0 s" is never shown. */
export function formatDelay(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.ceil(min / 60)} h`;
}

/** "14:05" in the system zone; the model runs in the user's session, so local is right. */
function clock(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(iso),
  );
}

/** The next local day at 08:00, as the instant the daemon's `pause {until}` takes. */
export function tomorrowMorning(now: Date): string {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(TOMORROW_HOUR, 0, 0, 0);
  return d.toISOString();
}

/** An account needs the user: wrong password, or its server keeps failing. */
export function needsAttention(a: AccountSummary): boolean {
  return (
    a.enabled &&
    (a.status.state === 'needs-credentials' ||
      a.status.state === 'needs-confirmation' ||
      a.status.state === 'backing-off' ||
      a.status.state === 'error')
  );
}

/** The account's state in plain words, as the menu shows it after the account's name. */
export function accountWords(a: AccountSummary, now: Date): string {
  if (!a.enabled || a.status.state === 'disabled') return 'disabled';
  switch (a.status.state) {
    case 'needs-credentials':
      // An OAuth2 account (Exchange, IMAP with Microsoft 365 or Gmail) has no password to type,
      // nor has an account with an API token (JMAP bearer).
      return a.auth === 'oauth2'
        ? 'needs sign-in'
        : a.auth === 'token'
          ? 'needs new token'
          : 'needs password';
    case 'needs-confirmation':
      return 'moved — confirm the new server';
    case 'backing-off': {
      if (a.status.retryAt === undefined) return 'offline, retrying';
      return `offline, retrying in ${formatDelay(Date.parse(a.status.retryAt) - now.getTime())}`;
    }
    case 'connecting':
      return 'connecting…';
    case 'stopped':
      return 'stopped';
    case 'error':
      return 'cannot start (see status)';
    case 'syncing':
    case 'waiting':
      if (a.unseen > 0) return `${a.unseen} new`;
      return a.status.state === 'syncing' ? 'checking…' : 'up to date';
  }
}

/**
 * Where a waiting move goes, as a person must judge it: the origin (scheme, host, port), so a
 * downgrade to http:// or another host is plain to see. Undefined unless the account waits on one.
 */
export function pendingMove(a: AccountSummary): { to: string; from: string; downgrade: boolean } | undefined {
  const move = a.status.state === 'needs-confirmation' ? a.status.move : undefined;
  if (move === undefined) return undefined;
  const parse = (url: string) => {
    try {
      const u = new URL(url);
      return { origin: u.origin, http: u.protocol === 'http:' };
    } catch {
      return { origin: url, http: false };
    }
  };
  const to = parse(move.to);
  const from = parse(move.from);
  return { to: to.origin, from: from.origin, downgrade: to.http && !from.http };
}

/** The label of the button and menu item that accepts a move: the target is always named. */
export function acceptMoveLabel(a: AccountSummary): string | undefined {
  const move = pendingMove(a);
  if (move === undefined) return undefined;
  return `Accept move to ${move.to}${move.downgrade ? ' (unencrypted)' : ''}`;
}

function pausedUntil(daemon: DaemonStatus | undefined, now: Date): string | undefined {
  const until = daemon?.pausedUntil;
  return until !== undefined && Date.parse(until) > now.getTime() ? until : undefined;
}

function iconState(input: TrayModelInput): IconState {
  const { connection, daemon, now } = input;
  if (connection.state !== 'connected' && input.daemonProblem !== undefined) return 'attention';
  if (connection.state === 'unreachable') return 'attention';
  if (connection.state === 'connecting') return connection.attempt > 0 ? 'attention' : 'quiet';
  const accounts = daemon?.accounts ?? [];
  if (accounts.some(needsAttention)) return 'attention';
  if (pausedUntil(daemon, now) !== undefined) return 'paused';
  if (accounts.some((a) => a.enabled && a.unseen > 0)) return 'new';
  return 'quiet';
}

/** macOS wants monochrome "Template" images it recolours itself; elsewhere we pick by theme. */
export function iconFile(state: IconState, theme: 'light' | 'dark', platform: string): string {
  if (platform === 'darwin') return `tray-${state}Template.png`;
  return `tray-${state}-${theme}.png`;
}

function tooltip(input: TrayModelInput): string {
  const { connection, daemon, now } = input;
  if (connection.state !== 'connected' && input.daemonProblem !== undefined)
    return 'Tidings — the daemon is not installed';
  if (connection.state === 'unreachable') {
    return `Tidings — cannot reach the daemon; retrying in ${formatDelay(Date.parse(connection.retryAt) - now.getTime())}`;
  }
  if (connection.state === 'connecting') return 'Tidings — connecting to the daemon…';
  const accounts = daemon?.accounts ?? [];
  if (accounts.length === 0) return 'Tidings — no accounts yet';
  const parts: string[] = [];
  for (const a of accounts.filter(needsAttention)) parts.push(`${a.name} ${accountWords(a, now)}`);
  const unseen = accounts.reduce((n, a) => n + (a.enabled ? a.unseen : 0), 0);
  if (unseen > 0) parts.push(`${unseen} new`);
  const until = pausedUntil(daemon, now);
  if (until !== undefined) parts.push(`paused until ${clock(until)}`);
  return `Tidings — ${parts.length ? parts.join(' · ') : 'all quiet'}`;
}

function connectionEntries(connection: ConnectionState, now: Date, problem?: string): MenuEntry[] {
  if (problem !== undefined) {
    return [
      { type: 'item', label: 'The Tidings daemon is not installed', enabled: false },
      { type: 'item', label: 'Install it: npm install -g tidings', enabled: false },
      { type: 'item', label: 'Retry now', enabled: true, action: { kind: 'reconnect' } },
    ];
  }
  if (connection.state === 'connecting') {
    return [{ type: 'item', label: 'Connecting to the Tidings daemon…', enabled: false }];
  }
  if (connection.state === 'unreachable') {
    const wait = formatDelay(Date.parse(connection.retryAt) - now.getTime());
    return [
      { type: 'item', label: 'Cannot reach the Tidings daemon', enabled: false },
      { type: 'item', label: `${connection.reason} — retrying in ${wait}`, enabled: false },
      { type: 'item', label: 'Retry now', enabled: true, action: { kind: 'reconnect' } },
    ];
  }
  return [];
}

function accountEntries(daemon: DaemonStatus | undefined, now: Date): MenuEntry[] {
  const accounts = daemon?.accounts ?? [];
  if (accounts.length === 0) {
    return [
      { type: 'item', label: 'No accounts yet', enabled: false },
      {
        type: 'item',
        label: 'Add an account…',
        enabled: true,
        action: { kind: 'open-settings', page: 'accounts' },
      },
    ];
  }
  const entries: MenuEntry[] = accounts.map((a) => ({
    type: 'item',
    label: `${a.name} — ${accountWords(a, now)}`,
    enabled: a.enabled,
    // A broken account's item leads to where it can be fixed; a working one to its web UI.
    action:
      a.status.state === 'needs-credentials' || a.status.state === 'needs-confirmation'
        ? { kind: 'open-settings', page: 'accounts', accountId: a.id }
        : { kind: 'open-account', accountId: a.id },
  }));
  // A move is accepted only by a click that names where the password will go (issue 13 §2).
  for (const a of accounts) {
    const label = a.enabled ? acceptMoveLabel(a) : undefined;
    if (label === undefined) continue;
    entries.push({
      type: 'item',
      label: accounts.length > 1 ? `${a.name}: ${label[0]!.toLowerCase()}${label.slice(1)}` : label,
      enabled: true,
      action: { kind: 'accept-move', accountId: a.id },
    });
  }
  if (accounts.some((a) => a.enabled && a.unseen > 0)) {
    entries.push({ type: 'item', label: 'Mark all as seen', enabled: true, action: { kind: 'mark-seen' } });
  }
  if (accounts.some((a) => a.enabled)) {
    entries.push({ type: 'item', label: 'Check now', enabled: true, action: { kind: 'check' } });
  }
  return entries;
}

function pauseEntries(input: TrayModelInput): MenuEntry[] {
  const connected = input.connection.state === 'connected';
  const until = pausedUntil(input.daemon, input.now);
  if (until !== undefined) {
    return [
      { type: 'item', label: `Notifications paused until ${clock(until)}`, enabled: false },
      { type: 'item', label: 'Resume notifications', enabled: connected, action: { kind: 'resume' } },
    ];
  }
  return [
    {
      type: 'item',
      label: 'Pause notifications for an hour',
      enabled: connected,
      action: { kind: 'pause', minutes: 60 },
    },
    {
      type: 'item',
      label: 'Pause notifications until tomorrow',
      enabled: connected,
      action: { kind: 'pause-until', until: tomorrowMorning(input.now) },
    },
  ];
}

/**
 * Whether to open the settings window on "Add an account": the daemon runs with no config file
 * (started with `--empty`) and no accounts — the first start, which opens set-up as DAVx5 does,
 * rather than a tray that can only say "No accounts yet". The demo, started by a person, is not.
 */
export function wantsSetup(input: Pick<TrayModelInput, 'connection' | 'daemon'>): boolean {
  return (
    input.connection.state === 'connected' &&
    input.daemon !== undefined &&
    !input.daemon.demo &&
    input.daemon.accounts.length === 0
  );
}

/**
 * The whole tray — icon, tooltip, menu — as a pure function of what the tray knows, so every
 * state is tested under Node and the Electron adapter only renders the result.
 */
export function trayModel(input: TrayModelInput): TrayModel {
  const state = iconState(input);
  const top =
    input.connection.state === 'connected'
      ? accountEntries(input.daemon, input.now)
      : connectionEntries(input.connection, input.now, input.daemonProblem);
  return {
    state,
    icon: iconFile(state, input.theme, input.platform),
    tooltip: tooltip(input),
    menu: [
      ...top,
      { type: 'separator' },
      ...pauseEntries(input),
      { type: 'separator' },
      { type: 'item', label: 'Settings…', enabled: true, action: { kind: 'open-settings' } },
      {
        type: 'item',
        label: 'Start Tidings at login',
        enabled: true,
        checked: input.openAtLogin,
        action: { kind: 'toggle-open-at-login' },
      },
      { type: 'item', label: 'Quit Tidings', enabled: true, action: { kind: 'quit' } },
    ],
  };
}
