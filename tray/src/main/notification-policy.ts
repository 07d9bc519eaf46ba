import type { AccountSummary } from '../../../daemon/src/ipc/protocol';
import type { ChangeSignal } from '../../../daemon/src/signal';
import type { Rule, TraySettings } from '../tray-settings';
import { allowedExternalUrl } from './external-url';
import { notificationText } from './notification-text';
import { inQuietHours, localTime } from './quiet-hours';

/** What the policy needs to know besides the signal. */
export interface PolicyContext {
  now: Date;
  /** IANA zone for quiet hours and event times; the system zone when undefined. */
  timeZone?: string;
  locale?: string;
  /** The signal's account as the daemon last reported it (name, kind, web URL). */
  account?: Pick<AccountSummary, 'id' | 'name' | 'kind' | 'webUrl'>;
  /** The daemon-wide pause (DaemonStatus.pausedUntil). */
  pausedUntil?: string;
  /** The daemon's own quiet hours say "now" is quiet (DaemonStatus.quietHours.active). */
  daemonQuiet?: boolean;
  settings: Pick<TraySettings, 'quietHours' | 'rules'>;
}

export type SuppressReason = 'paused' | 'quiet-hours' | 'muted-by-rule' | 'nothing-to-announce';

export type NotificationDecision =
  | { show: false; reason: SuppressReason }
  | {
      show: true;
      signalId: string;
      accountId: string;
      title: string;
      body: string;
      /** Opened on click with shell.openExternal; already checked against the allow-list. */
      click: string | undefined;
    };

/** Whether every condition the rule names holds for the signal. */
export function ruleMatches(rule: Rule, s: ChangeSignal): boolean {
  if (rule.accountId !== undefined && rule.accountId !== s.accountId) return false;
  if (rule.collection !== undefined && rule.collection !== s.collection) return false;
  if (rule.folder !== undefined) {
    const f = rule.folder.toLowerCase();
    if (s.folder.name.toLowerCase() !== f && s.folder.id.toLowerCase() !== f) return false;
  }
  if (rule.from !== undefined) {
    const needle = rule.from.toLowerCase();
    const items = [...s.added, ...s.changed, ...s.removed];
    if (!items.some((i) => i.from?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

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
 * Decides whether one coalesced signal becomes one desktop notification, and with which words
 * and click target. Order: pause, then quiet hours (the daemon's and the tray's), then rules —
 * so a paused tray is silent whatever a rule says.
 */
export function decideNotification(s: ChangeSignal, ctx: PolicyContext): NotificationDecision {
  if (ctx.pausedUntil !== undefined && Date.parse(ctx.pausedUntil) > ctx.now.getTime()) {
    return { show: false, reason: 'paused' };
  }
  if (ctx.daemonQuiet || inQuietHours(ctx.settings.quietHours, localTime(ctx.now, ctx.timeZone))) {
    return { show: false, reason: 'quiet-hours' };
  }
  const rule = ctx.settings.rules.find((r) => ruleMatches(r, s));
  if (rule?.action === 'mute') return { show: false, reason: 'muted-by-rule' };
  const text = notificationText(s, {
    locale: ctx.locale,
    timeZone: ctx.timeZone,
    accountName: ctx.account?.name,
  });
  if (text === undefined) return { show: false, reason: 'nothing-to-announce' };
  return {
    show: true,
    signalId: s.id,
    accountId: s.accountId,
    title: text.title,
    body: text.body,
    click: clickTarget(s, ctx.account?.webUrl),
  };
}
