import { setFlagsFromString } from 'node:v8';

/** From this many accounts on, a daemon is tuned for throughput rather than a small footprint. */
export const LARGE_DAEMON_ACCOUNTS = 100;

/**
 * Node flags the service units (build/tidings.service, build/com.tidings.daemon.plist) start the
 * daemon with: the most a large daemon's semi-spaces grow to. V8 reads it only at start, so it
 * cannot be set from here; run by hand without it, V8's default (16 MB) applies.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=4'] as const;

/**
 * Tunes V8 for the number of accounts watched; cli/v8-flags.ts calls it with 0 before the
 * daemon's modules load, the daemon with the account count at start and on every reload. Both
 * knobs are flags V8 still reads at run time.
 * - Young generation. 1 MB semi-spaces suit a personal daemon (issue 5: 3 accounts under 60 MB).
 *   At thousands of accounts each scavenge costs ~3 ms whatever the semi-space size (the
 *   scavenger walks what thousands of sockets keep alive), so a 1 MB young generation spent a
 *   third of a 1 000 changes/s burst in GC. Growing to 4 MB semi-spaces (the units' cap) cut
 *   that about four-fold for ~6 MB (scale bench, 10 000 accounts: p99 648 → 113 ms at the same
 *   RSS).
 * - Code flushing. A small daemon runs its start-up, config and CLI code once, and has few GCs
 *   to age it out with V8's default of five; flushing bytecode unused for one GC (and baseline
 *   code) frees ~0.7 MB of its ~60 MB, and a function needed again compiles in microseconds. A
 *   large daemon keeps the default: its idle minute would otherwise flush the whole burst path,
 *   and the next burst would start interpreted.
 */
export function tuneV8(accounts: number): void {
  if (process.env.TIDINGS_V8_DEFAULTS === '1') return;
  const large = accounts >= LARGE_DAEMON_ACCOUNTS;
  setFlagsFromString(`--semi-space-growth-factor=${large ? 2 : 1}`);
  setFlagsFromString(`--bytecode-old-age=${large ? 5 : 1}`);
  setFlagsFromString(large ? '--no-flush-baseline-code' : '--flush-baseline-code');
}
