import { channel } from 'node:diagnostics_channel';

/**
 * What the sinks did, on `node:diagnostics_channel` (like the hub's own channels): `tidings
 * status`, the logger and tests subscribe.
 *
 * | channel | message |
 * | --- | --- |
 * | `tidings:sink:desktop` | `{ signalId, outcome: 'shown' \| 'suppressed' \| 'skipped' \| 'failed', title?, body?, error? }` |
 * | `tidings:sink:exec` | `{ sink, signalId, exitCode, killedBy, timedOut, durationMs, error? }` — one per finished run |
 * | `tidings:sink:webhook` | `{ sink, signalId, attempt, outcome: 'delivered' \| 'retry' \| 'failed', status?, delayMs?, error? }` |
 */
export const sinkChannels = {
  desktop: channel('tidings:sink:desktop'),
  exec: channel('tidings:sink:exec'),
  webhook: channel('tidings:sink:webhook'),
} as const;
