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
}

export type NotificationDecision =
  | { show: false; reason: 'nothing-to-announce' }
  | {
      show: true;
      signalId: string;
      accountId: string;
      title: string;
      body: string;
      /** Opened on click with shell.openExternal; already checked against the allow-list. */
      click: string | undefined;
    };

/**
 * Where a click on the notification goes: the account's web mail / calendar when configured,
 * else — for mail — the default mail client through a bare `mailto:`. Calendar and contacts
 * without a web URL have no sensible local target, so the click only dismisses.
 */
export function clickTarget(s: ChangeSignal, webUrl: string | undefined): string | undefined {
  const web = allowedExternalUrl(webUrl);
  if (web !== undefined) return web;
  return s.collection === 'mail' ? 'mailto:' : undefined;
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
    click: clickTarget(s, ctx.account?.webUrl),
  };
}
