import type { ChangeSignal } from '../signal';

/**
 * A destination for signals (IPC subscriber, desktop notifier, exec hook, webhook).
 * `deliver` returns false when the sink is busy (like undici's dispatch() → false, then
 * 'drain'): the hub then coalesces further signals per folder for that sink instead of
 * queueing without bound, and resumes when the sink calls `onDrain`.
 */
export interface Sink {
  readonly name: string;
  deliver(signal: ChangeSignal): boolean;
  /** The hub registers a callback the sink calls when it can take more. */
  onDrain?(resume: () => void): void;
  close?(): Promise<void>;
}

/** The hub as watchers and the daemon see it. */
export interface Hub {
  /** Signals already committed to the store's outbox; the hub acks them once handed to sinks. */
  publish(signals: readonly ChangeSignal[]): void;
  addSink(sink: Sink): () => void;
}
