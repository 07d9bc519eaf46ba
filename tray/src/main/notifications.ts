import { Notification } from 'electron';
import type { NotificationAction, NotificationDecision } from './notification-policy';

/** Notifications on screen: Electron drops click handlers of garbage-collected ones. */
const live = new Set<Notification>();

/**
 * Posts one decided notification through the OS (libnotify, Notification Center, Windows
 * toasts). The words came from notification-policy.ts; what a click opens is decided then, by
 * `onClick` (the open command is read from the daemon's config at that moment).
 */
export function postNotification(
  decision: Extract<NotificationDecision, { show: true }>,
  onClick: () => void,
  onError: (err: unknown) => void,
  onAction: (action: NotificationAction) => void = () => {},
): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({
    title: decision.title,
    body: decision.body,
    silent: false,
    // Buttons only where the policy gave some (macOS, Windows); Linux keeps the click.
    ...(decision.actions.length > 0
      ? { actions: decision.actions.map((a) => ({ type: 'button' as const, text: a.label })) }
      : {}),
  });
  const forget = () => live.delete(n);
  n.on('click', () => {
    forget();
    onClick();
  });
  n.on('action', (details, legacyIndex) => {
    forget();
    // Electron 41 passes the index in the event's details; older ones as the second argument.
    const action = decision.actions[details?.actionIndex ?? legacyIndex];
    if (action) onAction(action);
  });
  n.on('close', forget);
  n.on('failed', (_e, error) => {
    forget();
    onError(new Error(error));
  });
  live.add(n);
  n.show();
}
