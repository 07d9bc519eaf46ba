import { setFlagsFromString } from 'node:v8';

/** From this many accounts on, a daemon's young generation may grow (see below). */
export const LARGE_DAEMON_ACCOUNTS = 100;

/**
 * Node flags the service units (build/tidings.service, build/com.tidings.daemon.plist) start the
 * daemon with: the most a large daemon's semi-spaces grow to. V8 reads it only at start, so it
 * cannot be set from here; run by hand without it, V8's default (16 MB) applies.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=4'] as const;

/**
 * Sizes V8's young generation for the number of accounts watched. cli/v8-flags.ts holds it at
 * 1 MB semi-spaces from the start, right for a personal daemon (issue 5: 3 accounts under 60 MB).
 * At thousands of accounts each scavenge costs ~3 ms whatever the semi-space size (the scavenger
 * walks what thousands of sockets keep alive), so a 1 MB young generation spent a third of a
 * 1 000 changes/s burst in GC. Growing to 4 MB semi-spaces (the units' cap) cut that about
 * four-fold for ~6 MB (scale bench, 10 000 accounts: p99 648 → 113 ms at the same RSS). The
 * growth factor is the one young-generation flag V8 still reads at run time.
 */
export function sizeYoungGeneration(accounts: number): void {
  if (process.env.TIDINGS_V8_DEFAULTS === '1') return;
  setFlagsFromString(`--semi-space-growth-factor=${accounts >= LARGE_DAEMON_ACCOUNTS ? 2 : 1}`);
}
