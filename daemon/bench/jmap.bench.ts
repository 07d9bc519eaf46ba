/**
 * JMAP benchmark (issue 17): change → signal latency with EventSource push, beside the server's
 * own notification and a naive poller, and the idle cost per account-hour — on the project's JMAP
 * fixture server (the only JMAP push there is to measure: Debian's Cyrus has none).
 *
 * Method: the real watcher (SQLite store in a temp dir, real sockets, real timers) against the
 * fixture over 127.0.0.1. "Server notification" is the instant the fixture writes the StateChange
 * to the stream; latency = publish − that instant (MEASURED: Email/changes + Email/get + commit).
 * The naive poller's latency is COMPUTED: Email/changes every 60 s finds a change after 30 s on
 * average (uniform arrival), plus the same round trips. Idle cost: pings (one wake-up each) and
 * bytes on the stream are COMPUTED from the ping interval and the ping event's size; the naive
 * poller's from its interval and the requests of one measured round.
 *   npx tsx daemon/bench/jmap.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent } from 'undici';
import { startJmapFixture } from '../../fixtures/src/jmap-server';
import type { JmapAccount } from '../src/config/account';
import type { ChangeSignal } from '../src/signal';
import { SqliteStore } from '../src/store/sqlite-store';
import { createJmapWatcher } from '../src/watch/jmap-watcher';

const SAMPLES = 200;
const PING_S = 10;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const dir = mkdtempSync(join(tmpdir(), 'tidings-jmap-bench-'));
const fx = await startJmapFixture();
const store = SqliteStore.open({ path: join(dir, 'state.db') });
const dispatcher = new Agent();
let notifiedAt = 0;
let onPublish: ((s: ChangeSignal[]) => void) | undefined;
const push = fx.data.onChange!;
fx.data.onChange = (types) => {
  notifiedAt = performance.now();
  push(types);
};
const account: JmapAccount = {
  id: 'bench',
  kind: 'jmap',
  enabled: true,
  url: fx.url,
  username: 'alice',
  auth: { type: 'basic' },
  secret: { env: 'UNUSED' },
  push: 'eventsource',
  ping: PING_S,
  interval: 3600,
};
const watcher = createJmapWatcher(
  account,
  {
    accountId: 'bench',
    store,
    log: pino({ level: 'silent' }),
    secret: { get: async () => 'secret' },
    publish: (s) => onPublish?.(s),
    setStatus: () => {},
  },
  { dispatcher },
);
watcher.start();
while (fx.openStreams !== 1 || watcher.status().state !== 'waiting')
  await new Promise((r) => setTimeout(r, 20));

const WARMUP = 20;
const latencies: number[] = [];
for (let i = 0; i < WARMUP + SAMPLES; i++) {
  const got = new Promise<void>((resolve) => {
    onPublish = () => resolve();
  });
  fx.data.add({ subject: `bench ${i}` });
  await got;
  if (i >= WARMUP) latencies.push(performance.now() - notifiedAt);
}
latencies.sort((a, b) => a - b);
const p50 = pct(latencies, 50);
const p99 = pct(latencies, 99);

// One Email/changes round as a poller would send it, for its size.
const before = fx.requests.length;
await watcher.checkNow();
const pollRequests = fx.requests.length - before;

// Idle: what one ping costs on the wire (the event the fixture writes, RFC 8620 §7.3).
const pingBytes = `event: ping\ndata: {"interval":${PING_S}}\n\n`.length;

await watcher.stop();
await dispatcher.close();
await fx.close();
store.close();
rmSync(dir, { recursive: true, force: true });

const DEFAULT_PING_S = 60;
const perHourPings = 3600 / DEFAULT_PING_S;
const naiveMs = 30_000 + p50;
console.log(`JMAP change → signal, EventSource push, ${SAMPLES} samples (fixture server, SQLite store):`);
console.log(
  `  after the server's notification: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target ≤ 50 ms)`,
);
console.log(`  naive poller (Email/changes every 60 s): ~${(naiveMs / 1000).toFixed(1)} s on average`);
console.log(`  ratio naive / push (p50): ${(naiveMs / p50).toFixed(0)}×`);
console.log(
  `idle cost per account-hour (COMPUTED from the default ping=${DEFAULT_PING_S} s and the measured round):`,
);
console.log(
  `  push: ${perHourPings} wake-ups, ~${((perHourPings * pingBytes) / 1024).toFixed(1)} KB of pings, 0 requests`,
);
console.log(
  `  naive poller (every 60 s, rounds like ours): 60 wake-ups, ${60 * pollRequests} requests (${pollRequests} per round)`,
);
if (p99 > 50) {
  console.error('FAIL: p99 above 50 ms');
  process.exit(1);
}
