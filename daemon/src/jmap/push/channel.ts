import type { AccountStates } from './statechange';

/** How a push channel ended. */
export interface PushEnd {
  /** Events (state changes or pings) received before the end. */
  events: number;
  /** How long the channel was open, ms. */
  openMs: number;
  /** HTTP 204 (EventSource): "do not reconnect" in the HTML standard; Debian's Cyrus answers so at once. */
  noContent?: boolean;
  /** The failure, when it was one (a JmapError: stalled, refused, network). */
  error?: unknown;
}

/** What a push channel tells its owner. */
export interface PushHandlers {
  /** The channel is open and will report changes from now on: the owner catches up once. */
  onOpen(): void;
  /** Something of these types changed (type → new state). */
  onChange(states: AccountStates): void;
}

/** One open push channel (EventSource or WebSocket). `ended` settles once; close() is idempotent. */
export interface PushChannel {
  readonly ended: Promise<PushEnd>;
  close(): void;
}
