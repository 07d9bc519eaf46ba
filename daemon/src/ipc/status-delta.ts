import type { AccountSummary, DaemonHeader, DaemonStatus, StatusDelta } from './protocol';

/** The status after `delta` (pure): changed accounts replaced in place, added ones appended, removed ones gone. */
export function applyStatusDelta(status: DaemonStatus, delta: StatusDelta): DaemonStatus {
  const { accounts: _, ...header } = status;
  const next = new Map(status.accounts.map((a) => [a.id, a]));
  for (const id of delta.removed ?? []) next.delete(id);
  for (const a of delta.accounts ?? []) next.set(a.id, a);
  return { ...(delta.daemon ?? header), accounts: [...next.values()] };
}

/**
 * Deltas a busy client has not been sent yet, merged: one slot for the daemon-wide part and
 * one per account (its latest summary, or null once removed), so it is bounded by the account
 * count however long the client stalls.
 */
export class PendingDelta {
  #daemon: DaemonHeader | undefined;
  readonly #accounts = new Map<string, AccountSummary | null>();

  add(delta: StatusDelta): void {
    if (delta.daemon) this.#daemon = delta.daemon;
    for (const id of delta.removed ?? []) this.#accounts.set(id, null);
    for (const a of delta.accounts ?? []) this.#accounts.set(a.id, a);
  }

  /** The merged delta (undefined when nothing is held), emptying the buffer. */
  take(): StatusDelta | undefined {
    if (!this.#daemon && this.#accounts.size === 0) return undefined;
    const accounts: AccountSummary[] = [];
    const removed: string[] = [];
    for (const [id, a] of this.#accounts) {
      if (a) accounts.push(a);
      else removed.push(id);
    }
    const delta: StatusDelta = {
      ...(this.#daemon ? { daemon: this.#daemon } : {}),
      ...(accounts.length ? { accounts } : {}),
      ...(removed.length ? { removed } : {}),
    };
    this.clear();
    return delta;
  }

  clear(): void {
    this.#daemon = undefined;
    this.#accounts.clear();
  }
}
