import { Notification } from 'electron';
import type { NotificationDecision } from './notification-policy';

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
): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({ title: decision.title, body: decision.body, silent: false });
  const forget = () => live.delete(n);
  n.on('click', () => {
    forget();
    onClick();
  });
  n.on('close', forget);
  n.on('failed', (_e, error) => {
    forget();
    onError(new Error(error));
  });
  live.add(n);
  n.show();
}
