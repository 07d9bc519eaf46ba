import { channel } from 'node:diagnostics_channel';

/**
 * Lifecycle events of the hub on `node:diagnostics_channel` (as undici publishes
 * `undici:request:*`): the daemon's logger, `tidings status` counters and tests subscribe;
 * the hub never writes these into a log itself. Publishing costs nothing without subscribers.
 *
 * | channel | message |
 * | --- | --- |
 * | `tidings:hub:signal` | `{ signal }` — a committed signal entered the hub |
 * | `tidings:hub:deliver` | `{ signal, sink }` — handed to a sink (`sink` is its name) |
 * | `tidings:hub:hold` | `{ signal, sink, reason: 'busy' \| 'quiet' }` — merged into the sink's per-folder slot |
 * | `tidings:hub:drop` | `{ signal, reason, sink?, rule?, error? }` — not delivered (rules, pause, quiet `drop`, empty after merge, sink threw) |
 * | `tidings:hub:unseen` | `{ accountId, count }` — an account's unseen count changed |
 */
export const hubChannels = {
  signal: channel('tidings:hub:signal'),
  deliver: channel('tidings:hub:deliver'),
  hold: channel('tidings:hub:hold'),
  drop: channel('tidings:hub:drop'),
  unseen: channel('tidings:hub:unseen'),
} as const;
