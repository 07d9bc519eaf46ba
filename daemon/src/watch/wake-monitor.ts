import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * Notices a network change or a resume from sleep, so every watcher can re-learn and reconnect
 * at once (issue 3) instead of waiting for a dead Ping to time out. A pure decision core
 * (`networkKey`, `parseDefaultGateway`, `decideWake`) and a thin edge (`startWakeMonitor`)
 * that samples on an unref'd timer.
 */

export type WakeReason = 'network' | 'resume';

/** What `os.networkInterfaces()` returns, as far as the key needs it. */
export type InterfaceMap = Record<
  string,
  readonly { address: string; family: string | number; internal: boolean }[] | undefined
>;

/**
 * Names the current network: a short hash of the non-internal addresses and the default
 * gateway. IPv6 addresses count by their /64 prefix (privacy addresses rotate inside it, and a
 * rotation is not a new network); link-local addresses do not count.
 */
export function networkKey(interfaces: InterfaceMap, gateway: string | undefined): string {
  const parts: string[] = [];
  for (const [name, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      const v6 = a.family === 'IPv6' || a.family === 6;
      if (v6) {
        if (/^fe[89ab]/i.test(a.address)) continue;
        parts.push(`${name}/${a.address.split(':').slice(0, 4).join(':')}::/64`);
      } else parts.push(`${name}/${a.address}`);
    }
  }
  parts.sort();
  if (parts.length === 0 && gateway === undefined) return 'offline';
  return createHash('sha256')
    .update(`${parts.join(',')}|gw=${gateway ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}

/** The default route's interface and gateway from Linux's `/proc/net/route`, e.g. `wlan0 192.168.1.1`. */
export function parseDefaultGateway(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split('\n').slice(1)) {
    const [iface, dest, gw, flags] = line.trim().split(/\s+/);
    if (!iface || dest !== '00000000' || !gw || !flags) continue;
    // RTF_UP (1) and RTF_GATEWAY (2).
    if ((Number.parseInt(flags, 16) & 0x3) !== 0x3) continue;
    const n = Number.parseInt(gw, 16);
    // Little-endian hex: 0101A8C0 is 192.168.1.1.
    const ip = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
    return `${iface} ${ip}`;
  }
  return undefined;
}

/** One observation: wall clock and monotonic clock (ms) and the network key. */
export interface WakeSample {
  wallMs: number;
  monoMs: number;
  key: string;
}

/**
 * Compares two samples. Resume: the wall clock moved more than the monotonic clock by over
 * two intervals (the monotonic clock stands still while the machine sleeps). Network: the key
 * changed. Resume wins when both hold (a resume re-learns everything anyway).
 */
export function decideWake(prev: WakeSample, next: WakeSample, intervalMs: number): WakeReason | undefined {
  const drift = next.wallMs - prev.wallMs - (next.monoMs - prev.monoMs);
  if (drift > 2 * intervalMs) return 'resume';
  if (next.key !== prev.key) return 'network';
  return undefined;
}

/** The real network key: interfaces from `os`, the gateway from `/proc/net/route` when present. */
export function currentNetworkKey(): string {
  let gateway: string | undefined;
  if (process.platform === 'linux' && existsSync('/proc/net/route')) {
    try {
      gateway = parseDefaultGateway(readFileSync('/proc/net/route', 'utf8'));
    } catch {
      gateway = undefined;
    }
  }
  return networkKey(networkInterfaces() as InterfaceMap, gateway);
}

export interface WakeMonitorOptions {
  /** Sampling interval, ms (default 30 s). */
  intervalMs?: number;
  onWake(reason: WakeReason, key: string): void;
  /** Injectable for tests. */
  clock?: { wall(): number; mono(): number };
  readKey?: () => string;
  timers?: {
    setInterval(fn: () => void, ms: number): unknown;
    clearInterval(handle: unknown): void;
  };
}

export interface WakeMonitor {
  /** The network key of the last sample. */
  key(): string;
  /** Samples now (the timer calls it; tests too). */
  check(): void;
  stop(): void;
}

const realTimers = {
  setInterval(fn: () => void, ms: number): unknown {
    const t = setInterval(fn, ms);
    t.unref(); // never keeps the daemon alive
    return t;
  },
  clearInterval(handle: unknown): void {
    clearInterval(handle as NodeJS.Timeout);
  },
};

// process.hrtime, not performance.now(): the global `performance` loads perf_hooks and ten
// internal modules on first touch (~0.4 MB of RSS), for a 30 s sample.
const realClock = { wall: () => Date.now(), mono: () => Number(process.hrtime.bigint() / 1_000_000n) };

/** Samples every `intervalMs` and calls `onWake` on a resume or a network change. */
export function startWakeMonitor(opts: WakeMonitorOptions): WakeMonitor {
  const intervalMs = opts.intervalMs ?? 30_000;
  const clock = opts.clock ?? realClock;
  const readKey = opts.readKey ?? currentNetworkKey;
  const timers = opts.timers ?? realTimers;
  const sample = (): WakeSample => ({ wallMs: clock.wall(), monoMs: clock.mono(), key: readKey() });
  let last = sample();
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const next = sample();
    const reason = decideWake(last, next, intervalMs);
    last = next;
    if (reason) opts.onWake(reason, next.key);
  };
  const handle = timers.setInterval(check, intervalMs);
  return {
    key: () => last.key,
    check,
    stop() {
      if (stopped) return;
      stopped = true;
      timers.clearInterval(handle);
    },
  };
}
