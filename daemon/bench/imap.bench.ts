/**
 * IMAP benchmark (issue 17): change → signal latency beside the server's own notification, and
 * the idle cost per account-hour beside a naive poller — against the Dovecot 2.3 instances of
 * scripts/dovecot-imap.sh, `full` (NOTIFY) and `nonotify` (IDLE on INBOX).
 *
 * Method, latency (MEASURED): the real watcher (SQLite store in a temp dir, IMAPS with the
 * script's CA, real timers) and, on a second connection of the same user, an observer that IDLEs
 * on INBOX over a raw socket. Another client APPENDs; "server notification" is the instant the
 * observer's `* n EXISTS` arrived; latency = publish − that instant (also given: publish − the
 * APPEND's tagged OK, and publish − the first read on the watcher's own socket after the APPEND,
 * which is what the ≤ 50 ms target is judged on: Dovecot 2.3 delays each connection's
 * notification by its own 500 ms timer, NOTIFY_DELAY_MSECS in src/lib-storage/mailbox-watch.c,
 * so one connection's EXISTS says little about another's). All in this one process, one clock.
 * Method, idle cost (MEASURED, on a compressed clock): every interval ÷ SCALE (120), so one
 * minute of bench is two hours of account: the server's keep-alive (Dovecot's `* OK Still here`,
 * imap_idle_notify_interval 2 min → 1 s), our ride threshold (24 min → 12 s) and fallback timer
 * (29 min → 14.5 s). One watcher (INBOX only, its own process, so nothing else of the bench wakes
 * it; store without its flush timer) against a bench-only Dovecot (bench-dovecot.ts) through a
 * counting TCP proxy in this process; after a settle that takes it past its first renewal, a
 * window of IDLE_HOURS account-hours counts: renewals that rode a keep-alive, renewals by a timer
 * of ours (DONEs written − rides), keep-alive lines read, the process's wake-ups (voluntary context
 * switches of its main thread: each is a return from epoll, whatever woke it) and the bytes both
 * ways (TLS included). Three servers/variants: Dovecot with keep-alives, a silent server
 * (imap_idle_notify_interval 0), and the keep-alive server with the ride off and the former 28-min
 * timer (what this replaced). The naive poller (STATUS INBOX every 60 s on a kept connection, as
 * Mailnag-style pollers do) is MEASURED per round through the same proxy and multiplied by 60.
 *   npx tsx daemon/bench/imap.bench.ts [--idle-only]
 * Uses the test users ivy (full) and jon (nonotify): do not run it beside the IMAP unit tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  flowOptions,
  IDLE_RENEW_MS,
  IDLE_RIDE_AFTER_MS,
  type IdleRide,
  rideIdleRenewal,
} from '../src/imap/connection';
import { DAEMON_NODE_FLAGS } from '../src/v8-tuning';
import { startBenchDovecot } from './bench-dovecot';
import type { ChangeSignal } from '../src/signal';
import { SqliteStore } from '../src/store/sqlite-store';
import { createImapWatcher, type ImapWatcherDeps } from '../src/watch/imap-watcher';
import {
  DOVECOT,
  DOVECOT_CA,
  DOVECOT_USERS,
  type DovecotConfig,
  dovecotAccount,
  ensureDovecot,
  mail,
  otherClient,
  releaseDovecot,
} from '../test/imap/dovecot';

const SAMPLES = 30;
const WARMUP = 3;
/** The idle-cost runs' clock: real intervals ÷ SCALE. */
const SCALE = 120;
/** Account-hours each idle-cost window stands for (120 s of bench at SCALE 120). */
const IDLE_HOURS = 4;
/** The ride-off variant: the renewal timer this change replaced. */
const OLD_RENEW_MS = 28 * 60_000;
const POLL_ROUNDS = 5;
const TARGET_MS = 50;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A TCP proxy to `port` that counts bytes and chunks each way (TLS records included). */
interface Meter {
  port: number;
  up: { bytes: number; chunks: number };
  down: { bytes: number; chunks: number };
  reset(): void;
  close(): Promise<void>;
}
async function meter(port: number): Promise<Meter> {
  const m = {
    up: { bytes: 0, chunks: 0 },
    down: { bytes: 0, chunks: 0 },
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((c) => {
    const s = netConnect({ host: '127.0.0.1', port });
    sockets.add(c).add(s);
    c.on('data', (b: Buffer) => {
      m.up.bytes += b.length;
      m.up.chunks++;
      s.write(b);
    });
    s.on('data', (b: Buffer) => {
      m.down.bytes += b.length;
      m.down.chunks++;
      c.write(b);
    });
    const end = () => {
      c.destroy();
      s.destroy();
    };
    c.on('close', end).on('error', end);
    s.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    ...m,
    reset() {
      m.up.bytes = m.up.chunks = m.down.bytes = m.down.chunks = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The observer: IDLE on INBOX over a raw plain socket, calling `onExists` the instant `* n EXISTS` arrives. */
async function observer(config: DovecotConfig, user: string, onExists: (at: number) => void) {
  const s = netConnect({ host: '127.0.0.1', port: DOVECOT[config].imap });
  let buf = '';
  let idling = false;
  let onIdle: (() => void) | undefined;
  s.on('data', (b: Buffer) => {
    const at = performance.now();
    buf += b.toString('latin1');
    if (!idling && /\r\nb3 OK|^b3 OK/m.test(buf)) {
      idling = true;
      buf = '';
      s.write('b4 IDLE\r\n');
      return;
    }
    if (idling && buf.includes('+ idling')) {
      onIdle?.();
      onIdle = undefined;
    }
    if (idling && / EXISTS\r\n/.test(buf)) {
      onExists(at);
      buf = '';
    }
    if (buf.length > 4096) buf = buf.slice(-512);
  });
  const ready = new Promise<void>((r) => {
    onIdle = r;
  });
  await new Promise<void>((r) => s.once('data', () => r()));
  s.write(`b2 LOGIN ${user} ${DOVECOT_USERS.get(user) ?? ''}\r\nb3 SELECT INBOX\r\n`);
  await ready;
  return { close: () => s.destroy() };
}

/**
 * The watcher's connect with imapflow's own options but another port and IDLE renewal; `onRead`
 * sees the instant each chunk reaches the watcher's socket (beside imapflow's own reader).
 */
function connectVia(
  port: number,
  renewMs: number,
  onRead?: (at: number) => void,
): NonNullable<ImapWatcherDeps['connect']> {
  return async (o) => {
    const c = new ImapFlow({ ...flowOptions(o), port, maxIdleTime: renewMs });
    c.on('error', () => undefined);
    await c.connect();
    rideIdleRenewal(c);
    if (onRead) (c as unknown as { socket: Socket }).socket.on('data', () => onRead(performance.now()));
    return c;
  };
}

function watcherFor(config: DovecotConfig, user: string, dir: string, deps: ImapWatcherDeps = {}) {
  const store = SqliteStore.open({ path: join(dir, `${config}-${Math.random().toString(36).slice(2)}.db`) });
  let onPublish: ((s: ChangeSignal[]) => void) | undefined;
  const watcher = createImapWatcher(
    dovecotAccount(user, config, { mailboxes: ['INBOX'] }),
    {
      accountId: `bench-${config}`,
      store,
      log: pino({ level: 'silent' }),
      secret: { get: async () => DOVECOT_USERS.get(user) ?? '' },
      publish: (s) => onPublish?.(s),
      setStatus: () => {},
    },
    deps,
  );
  return {
    watcher,
    store,
    setOnPublish(f: typeof onPublish) {
      onPublish = f;
    },
  };
}

interface Latency {
  config: DovecotConfig;
  p50: number;
  p99: number;
  p50Append: number;
  p99Append: number;
  serverP50: number;
  /** Publish − the first read of the watcher's own connection after the APPEND was sent. */
  p50Own: number;
  p99Own: number;
  /** Observer's EXISTS − the watcher connection's first read (negative: the observer heard first). */
  p50Skew: number;
}

async function latency(config: DovecotConfig, user: string, dir: string): Promise<Latency> {
  let ownAt = 0;
  let armed = false;
  const w = watcherFor(config, user, dir, {
    connect: connectVia(DOVECOT[config].imaps, IDLE_RENEW_MS, (at) => {
      if (armed) ownAt ||= at;
    }),
  });
  w.watcher.start();
  await until('waiting', () => w.watcher.status().state === 'waiting');
  let existsAt = 0;
  const obs = await observer(config, user, (at) => {
    existsAt ||= at;
  });
  const other = await otherClient(user, config);
  await sleep(1000); // the watcher's one more round after setup
  const afterServer: number[] = [];
  const afterAppend: number[] = [];
  const serverDelay: number[] = [];
  const afterOwn: number[] = [];
  const skew: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const subject = `bench ${config} ${i} ${Date.now()}`;
    existsAt = 0;
    ownAt = 0;
    let pubAt = 0;
    w.setOnPublish((sigs) => {
      if (sigs.some((s) => s.added.some((a) => a.title === subject))) pubAt ||= performance.now();
    });
    const sentAt = performance.now();
    armed = true;
    await other.append('INBOX', mail({ subject }));
    const appendedAt = performance.now();
    await until('signal and observer', () => pubAt > 0 && existsAt > 0);
    armed = false;
    if (i >= WARMUP) {
      afterOwn.push(pubAt - ownAt);
      skew.push(existsAt - ownAt);
      afterServer.push(pubAt - existsAt);
      afterAppend.push(pubAt - appendedAt);
      serverDelay.push(existsAt - sentAt);
    }
  }
  obs.close();
  await other.logout().catch(() => undefined);
  await w.watcher.stop();
  w.store.close();
  for (const a of [afterServer, afterAppend, serverDelay, afterOwn, skew]) a.sort((x, y) => x - y);
  return {
    config,
    p50: pct(afterServer, 50),
    p99: pct(afterServer, 99),
    p50Append: pct(afterAppend, 50),
    p99Append: pct(afterAppend, 99),
    serverP50: pct(serverDelay, 50),
    p50Own: pct(afterOwn, 50),
    p99Own: pct(afterOwn, 99),
    p50Skew: pct(skew, 50),
  };
}

/** What one idle-cost window counted (the holder's figures, the proxy's bytes). */
interface IdleWindow {
  label: string;
  rides: number;
  timerRenewals: number;
  keepAlives: number;
  wakeups: number;
  up: number;
  down: number;
  downChunks: number;
}

/** Voluntary context switches of this process's main thread: its returns from epoll. */
function wakeups(): number {
  const s = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0);
}

/**
 * The holder (its own process): one watcher through the proxy at `port`, renewal `renewMs`,
 * ride after `rideMs` (0: no ride); `start` once settled, then after `windowMs` the counts.
 */
async function holdRole(a: {
  port: number;
  ca: string;
  password: string;
  renewMs: number;
  rideMs: number;
  settleMs: number;
  windowMs: number;
}): Promise<void> {
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'tidings-imap-idle-'));
  // No flush timer: it would wake this process every second (the daemon's is one for all accounts).
  const store = SqliteStore.open({ path: join(dir, 'state', 'state.db'), syncEveryMs: 0 });
  let ride: IdleRide = { keepAlives: 0, rides: 0 };
  let dones = 0;
  const watcher = createImapWatcher(
    {
      id: 'idle',
      kind: 'imap',
      enabled: true,
      host: '127.0.0.1',
      port: a.port,
      security: 'tls',
      username: 's0',
      secret: { env: 'UNUSED' },
      tls: { ca: a.ca, rejectUnauthorized: true },
      mailboxes: ['INBOX'],
    },
    {
      accountId: 'idle',
      store,
      log: pino({ level: 'silent' }),
      secret: { get: async () => a.password },
      publish: () => {},
      setStatus: () => {},
    },
    {
      connect: async (o) => {
        const c = new ImapFlow({ ...flowOptions(o), maxIdleTime: a.renewMs });
        c.on('error', () => undefined);
        await c.connect();
        // Counts the DONEs we write (each ends one IDLE: a renewal, in an idle window).
        const w = c as unknown as { write(chunk: unknown): unknown };
        const write = w.write.bind(c);
        w.write = (chunk: unknown) => {
          if (String(chunk) === 'DONE') dones++;
          return write(chunk);
        };
        // Ride off: attached all the same, to count the keep-alives, with a threshold never reached.
        ride = rideIdleRenewal(c, { rideAfterMs: a.rideMs > 0 ? a.rideMs : Number.POSITIVE_INFINITY });
        return c;
      },
    },
  );
  watcher.start();
  await until('waiting', () => watcher.status().state === 'waiting');
  await sleep(a.settleMs);
  const r0 = { ...ride };
  const d0 = dones;
  const w0 = wakeups();
  out({ phase: 'start' });
  await sleep(a.windowMs);
  const w1 = wakeups();
  out({
    phase: 'end',
    // − 1: the window's own end timer; − 1: the 'start' line's write completing (a pipe write).
    wakeups: w1 - w0 - 2,
    rides: ride.rides - r0.rides,
    timerRenewals: dones - d0 - (ride.rides - r0.rides),
    keepAlives: ride.keepAlives - r0.keepAlives,
    state: watcher.status().state,
  });
  await watcher.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** One idle-cost window: a bench Dovecot with `keepAliveSec` (÷ SCALE), a holder through the proxy. */
async function idleWindow(label: string, keepAliveSec: number, ride: boolean): Promise<IdleWindow> {
  const server = await startBenchDovecot({ users: 1, keepAliveSec });
  if ('reason' in server) throw new Error(`bench Dovecot: ${server.reason}`);
  const m = await meter(server.port);
  try {
    const renewMs = (ride ? IDLE_RENEW_MS : OLD_RENEW_MS) / SCALE;
    const rideMs = ride ? IDLE_RIDE_AFTER_MS / SCALE : 0;
    const windowMs = (IDLE_HOURS * 3_600_000) / SCALE;
    const holder = spawn(
      process.execPath,
      [
        ...DAEMON_NODE_FLAGS,
        '--import',
        'tsx',
        import.meta.filename,
        '--role',
        'hold',
        JSON.stringify({
          port: m.port,
          ca: server.ca,
          password: server.password,
          renewMs,
          rideMs,
          // Past the first renewal (ride or timer) and the fallback timer of the first IDLE.
          settleMs: renewMs + 2_000,
          windowMs,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let end: Record<string, number> | undefined;
    for await (const line of createInterface({ input: holder.stdout! })) {
      const o = JSON.parse(line) as { phase: string } & Record<string, number>;
      if (o.phase === 'start') m.reset();
      if (o.phase === 'end') {
        end = o;
        break;
      }
    }
    const bytes = { up: m.up.bytes, down: m.down.bytes, downChunks: m.down.chunks };
    await new Promise<void>((r) => (holder.exitCode !== null ? r() : holder.once('exit', () => r())));
    if (!end) throw new Error(`imap bench: the ${label} holder ended without its counts`);
    if ((end.state as unknown as string) !== 'waiting')
      throw new Error(`imap bench: ${label}: watcher ${end.state}`);
    return {
      label,
      rides: end.rides!,
      timerRenewals: end.timerRenewals!,
      keepAlives: end.keepAlives!,
      wakeups: end.wakeups!,
      ...bytes,
    };
  } finally {
    await m.close();
    await server.stop();
  }
}

/** The naive poller: STATUS INBOX on a kept IMAPS connection; bytes of one round through the proxy. */
async function pollerRound(config: DovecotConfig, user: string) {
  const m = await meter(DOVECOT[config].imaps);
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: m.port,
    secure: true,
    tls: { ca: readFileSync(DOVECOT_CA), rejectUnauthorized: true },
    auth: { user, pass: DOVECOT_USERS.get(user) ?? '' },
    logger: false,
    disableAutoIdle: true,
  });
  await c.connect();
  await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
  m.reset();
  for (let i = 0; i < POLL_ROUNDS; i++)
    await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
  const r = { bytes: (m.up.bytes + m.down.bytes) / POLL_ROUNDS, reads: m.down.chunks / POLL_ROUNDS };
  await c.logout().catch(() => undefined);
  await m.close();
  return r;
}

if (process.argv[2] === '--role' && process.argv[3] === 'hold') {
  await holdRole(JSON.parse(process.argv[4]!));
  process.exit(0);
}

const server = await ensureDovecot();
if ('reason' in server) {
  console.error(`imap bench: ${server.reason}`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const dir = mkdtempSync(join(tmpdir(), 'tidings-imap-bench-'));
const users: Record<'full' | 'nonotify', string> = { full: 'ivy', nonotify: 'jon' };
let failed = false;
try {
  const lat: Latency[] = [];
  // `--idle-only`: the idle-cost windows and the poller, without the latency samples.
  if (!process.argv.includes('--idle-only'))
    for (const config of ['full', 'nonotify'] as const) lat.push(await latency(config, users[config], dir));
  const poll = await pollerRound('full', users.full);
  const windows = [
    await idleWindow('Dovecot, keep-alive every 2 min, ride on (this daemon)', 120 / SCALE, true),
    await idleWindow('silent server (no keep-alive), ride on (this daemon)', 0, true),
    await idleWindow('Dovecot, keep-alive every 2 min, ride off, 28-min timer (before)', 120 / SCALE, false),
  ];

  if (lat.length > 0) {
    console.log(`IMAP change → signal, ${SAMPLES} APPENDs each (Dovecot 2.3, IMAPS, SQLite store):`);
    for (const l of lat) {
      console.log(
        `  ${l.config === 'full' ? 'NOTIFY  ' : 'IDLE    '} after the server's own EXISTS to an observer: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms (target ≤ ${TARGET_MS} ms)`,
      );
      console.log(
        `           after the APPEND's tagged OK: p50 ${l.p50Append.toFixed(1)} ms, p99 ${l.p99Append.toFixed(1)} ms; server APPEND sent → observer's EXISTS p50 ${l.serverP50.toFixed(1)} ms`,
      );
      console.log(
        `           after the notification reached the watcher's own socket: p50 ${l.p50Own.toFixed(1)} ms, p99 ${l.p99Own.toFixed(1)} ms (the observer's EXISTS came ${Math.abs(l.p50Skew).toFixed(1)} ms ${l.p50Skew < 0 ? 'before' : 'after'} it, p50: Dovecot delays each connection's notification by its own ≤ 500 ms timer)`,
      );
      // The target is judged on the watcher's own connection: the observer's EXISTS is another
      // connection's, which Dovecot's per-connection NOTIFY_DELAY_MSECS (500) timer skews by up to 500 ms.
      if (l.p99Own > TARGET_MS) failed = true;
    }
    // End to end from the APPEND: a poller finds the change half an interval later on average.
    const naiveMs = 30_000 + lat[0]!.p50Own;
    console.log(
      `  naive poller (STATUS every 60 s): ~${(naiveMs / 1000).toFixed(1)} s on average after the APPEND (COMPUTED: half the interval + our check)`,
    );
    console.log(
      `  ratio naive / NOTIFY after the APPEND (p50): ${(naiveMs / lat[0]!.p50Append).toFixed(0)}×`,
    );
  }

  // One TLS 1.3 record of "* OK Still here\r\n": 5-byte header + 17 bytes + content type + 16-byte tag.
  const stillHereBytes = 5 + 17 + 1 + 16;
  const h = (n: number) => (n / IDLE_HOURS).toFixed(2);
  console.log(
    `idle cost per account-hour, INBOX only (MEASURED over ${IDLE_HOURS} account-hours on a clock ${SCALE}× fast; ride after ${IDLE_RIDE_AFTER_MS / 60_000} min, fallback timer ${IDLE_RENEW_MS / 60_000} min):`,
  );
  for (const w of windows) {
    const kaBytes = w.keepAlives * stillHereBytes;
    const ours = w.up + w.down - kaBytes;
    console.log(`  ${w.label}:`);
    console.log(
      `    renewals ${h(w.rides + w.timerRenewals)} (${h(w.rides)} on a keep-alive, ${h(w.timerRenewals)} by a timer of ours); ` +
        `process wake-ups ${h(w.wakeups)}, of which the server's keep-alive reads ${h(w.keepAlives)} → ${h(w.wakeups - w.keepAlives)} ours (timers and the renewals' answers)`,
    );
    console.log(
      `    bytes ${((w.up + w.down) / 1024 / IDLE_HOURS).toFixed(2)} KB (up ${(w.up / IDLE_HOURS).toFixed(0)} B, down ${(w.down / IDLE_HOURS).toFixed(0)} B, TLS included): ` +
        `keep-alives ~${(kaBytes / 1024 / IDLE_HOURS).toFixed(2)} KB (COMPUTED, ${stillHereBytes} B a record), ours ${(ours / 1024 / IDLE_HOURS).toFixed(2)} KB (target ≤ 2 wake-ups and ≤ 2 KB)`,
    );
  }
  const pollKB = (60 * poll.bytes) / 1024;
  console.log(
    `  naive poller (STATUS INBOX every 60 s, kept IMAPS connection): 60 timer wake-ups (+ 60 reads of its answers), ${pollKB.toFixed(1)} KB (${poll.bytes.toFixed(0)} B per round, MEASURED)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await releaseDovecot(server);
}
if (failed) {
  console.error(`FAIL: p99 after the watcher's own notification above ${TARGET_MS} ms`);
  process.exit(1);
}
