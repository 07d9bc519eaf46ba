import type { AccountSummary } from '../../../daemon/src/ipc/protocol';
import type { ChangeSignal } from '../../../daemon/src/signal';
import { formatSignal, notableChanges } from '../../../daemon/src/sinks/format';
import { allowedExternalUrl } from './external-url';

/**
 * What the policy needs besides the signal. Pause, quiet hours and mute rules are not here:
 * the daemon's hub applies them to the tray's subscription (role "subscriber") and delivers
 * a held summary the moment a quiet period or pause ends — filtering again with the tray's
 * cached status would drop exactly that summary.
 */
export interface PolicyContext {
  /** IANA zone for event times; the system zone when undefined. */
  timeZone?: string;
  locale?: string;
  /** The signal's account as the daemon last reported it (for its web URL). */
  account?: Pick<AccountSummary, 'id' | 'webUrl'>;
  /** The daemon's `notifications.openCommand`: the user's mail client, run on a click. */
  openCommand?: string;
  /** `process.platform`: notification buttons exist on macOS and Windows only. */
  platform?: string;
}

/** Mail items one "Mark as read" marks at most: what the daemon's `items.markRead` takes. */
export const MARK_READ_MAX = 100;

/** A button on the notification; main runs it through the daemon, never through a page. */
export type NotificationAction = {
  kind: 'mark-read';
  label: string;
  /** The daemon's `items.markRead` params. */
  params: { accountId: string; folderId: string; itemIds: string[] };
};

/** What a click on a notification opens. */
export type OpenTarget =
  /** Through shell.openExternal; already checked against the allow-list. */
  | { kind: 'url'; url: string }
  /**
   * A command the user configured, run by the shell with what was clicked in the environment
   * (never pasted into the command line, so a subject cannot inject anything).
   */
  | { kind: 'command'; command: string; env: Record<string, string> };

export type NotificationDecision =
  | { show: false; reason: 'nothing-to-announce' }
  | {
      show: true;
      signalId: string;
      accountId: string;
      title: string;
      body: string;
      /** What a click opens; undefined: the click only dismisses. */
      click: OpenTarget | undefined;
      /** Buttons, in order (empty where the platform shows none: Linux keeps the click alone). */
      actions: NotificationAction[];
    };

/** Platforms whose notifications show buttons (Electron's `actions`: macOS, Windows). */
const ACTION_PLATFORMS = new Set(['darwin', 'win32']);

/**
 * "Mark as read" where the protocol allows it (issue 16): an Exchange mail signal with new mail
 * that is still unread — EAS changes the read flag with a Sync `<Change>` (the daemon's
 * `items.markRead`). CalDAV/CardDAV have no read flag; mail read elsewhere needs nothing.
 */
export function markReadAction(
  s: ChangeSignal,
  platform: string | undefined,
): NotificationAction | undefined {
  if (platform === undefined || !ACTION_PLATFORMS.has(platform)) return undefined;
  if (s.source !== 'eas' || s.collection !== 'mail') return undefined;
  const itemIds = s.added
    .filter((i) => i.unread !== false && i.id !== '')
    .map((i) => i.id)
    .slice(0, MARK_READ_MAX);
  if (itemIds.length === 0) return undefined;
  return {
    kind: 'mark-read',
    label: 'Mark as read',
    params: { accountId: s.accountId, folderId: s.folder.id, itemIds },
  };
}

/**
 * Where a click on the notification goes: the account's web mail / calendar (`webUrl`, per
 * account) when configured, else the user's `notifications.openCommand` (their mail client,
 * e.g. `thunderbird`, `evolution`, `open -a Mail`). Never a bare `mailto:`: that opens a blank
 * message to write, not the mail that arrived (issue 16). With neither, a click only dismisses.
 */
export function clickTarget(
  s: ChangeSignal,
  webUrl: string | undefined,
  openCommand?: string,
): OpenTarget | undefined {
  const web = allowedExternalUrl(webUrl);
  if (web !== undefined && !web.startsWith('mailto:')) return { kind: 'url', url: web };
  const command = openCommand?.trim();
  if (command) {
    const first = s.added[0] ?? s.changed[0];
    return {
      kind: 'command',
      command,
      env: {
        TIDINGS_ACCOUNT: s.accountId,
        TIDINGS_COLLECTION: s.collection,
        TIDINGS_FOLDER: s.folder.name,
        ...(first?.id !== undefined ? { TIDINGS_ITEM_ID: first.id } : {}),
        ...(web !== undefined ? { TIDINGS_URL: web } : {}),
      },
    };
  }
  return undefined;
}

/**
 * Decides whether one coalesced signal becomes one desktop notification, with which words
 * and which click target. The words and the "worth interrupting for" test are the daemon's
 * (sinks/format.ts), so a change reads the same in the tray, the desktop sink and hooks.
 */
export function decideNotification(s: ChangeSignal, ctx: PolicyContext = {}): NotificationDecision {
  const notable = notableChanges(s);
  if (notable === undefined) return { show: false, reason: 'nothing-to-announce' };
  const text = formatSignal(notable, { locale: ctx.locale, timeZone: ctx.timeZone });
  return {
    show: true,
    signalId: s.id,
    accountId: s.accountId,
    title: text.title,
    body: text.body,
    click: clickTarget(s, ctx.account?.webUrl, ctx.openCommand),
    actions: [markReadAction(notable, ctx.platform)].filter((a) => a !== undefined),
  };
}
