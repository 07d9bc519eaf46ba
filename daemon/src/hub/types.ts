import type { ChangeSignal } from '../signal';

/**
 * A destination for signals (IPC subscriber, desktop notifier, exec hook, webhook).
 * `deliver` takes the signal and returns false when the sink is now busy (like undici's
 * dispatch() → false, then 'drain'): the hub then coalesces further signals per folder for that
 * sink instead of queueing without bound, and resumes when the sink calls `onDrain`. A false
 * answer never means "not taken": the hub does not offer that signal again.
 */
export interface Sink {
  readonly name: string;
  /**
   * Who reads what this sink delivers, which decides the hub stages that apply. Default
   * `subscriber`.
   * - `subscriber`: IPC clients (tray, `tidings watch`): quiet hours and pause apply; a rule's
   *   `sinks` list does not (subscribers see every signal that is not muted).
   * - `notifier`: puts a notification in front of a person (desktop): quiet hours, pause and
   *   a rule's `sinks` list apply.
   * - `hook`: automation (exec hook, webhook): a rule's `sinks` list applies; quiet hours and
   *   pause do not — a server's scripts keep running at night.
   */
  readonly role?: SinkRole;
  deliver(signal: ChangeSignal): boolean;
  /** The hub registers a callback the sink calls when it can take more. */
  onDrain?(resume: () => void): void;
  close?(): Promise<void>;
}

export type SinkRole = 'subscriber' | 'notifier' | 'hook';

/** The hub as watchers and the daemon see it. */
export interface Hub {
  /** Signals already committed to the store's outbox; the hub acks them once handed to sinks. */
  publish(signals: readonly ChangeSignal[]): void;
  addSink(sink: Sink): () => void;
}
