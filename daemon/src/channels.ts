import type { Channel } from 'node:diagnostics_channel';

/**
 * Publishes on a diagnostics channel only when someone listens, so the message object is not
 * even built otherwise (the hub and the sinks publish on every signal).
 */
export function emit(ch: Channel, message: () => object): void {
  if (ch.hasSubscribers) ch.publish(message());
}
