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
 * Method, idle cost: the watcher's only timer on an idle INBOX-only account is imapflow's IDLE
 * renewal (`maxIdleTime`, 28 min: daemon/src/imap/connection.ts). The bytes of one renewal are
 * MEASURED on the wire (TLS included) through a counting TCP proxy, with the renewal shortened to
 * RENEW_FAST_MS by the bench's own connect (the same imapflow options otherwise); the hour is
 * COMPUTED as 60 / 28 renewals × those bytes. Dovecot's `* OK Still here` every 2 min
 * (imap_idle_notify_interval) is the server's, not a timer of ours, and does not come in a short
 * window: it is COMPUTED (30 an hour × one TLS record of that line) and shown apart. The naive poller (STATUS INBOX every
 * 60 s on a kept connection, as Mailnag-style pollers do) is MEASURED per round through the
 * same proxy and multiplied by 60.
 *   npx tsx daemon/bench/imap.bench.ts
 * Uses the test users ivy (full) and jon (nonotify): do not run it beside the IMAP unit tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { flowOptions, IDLE_RENEW_MS } from '../src/imap/connection';
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
const RENEW_FAST_MS = 3_000;
const IDLE_WINDOW_MS = 13_500;
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

/** Bytes (both ways) of one IDLE renewal of the watcher, measured through the proxy. */
async function renewalBytes(config: DovecotConfig, user: string, dir: string) {
  const m = await meter(DOVECOT[config].imaps);
  const w = watcherFor(config, user, dir, { connect: connectVia(m.port, RENEW_FAST_MS) });
  w.watcher.start();
  await until('waiting', () => w.watcher.status().state === 'waiting');
  // Past the round after setup and the first IDLE, so the window holds renewals only.
  await sleep(1500);
  m.reset();
  await sleep(IDLE_WINDOW_MS);
  const renewals = IDLE_WINDOW_MS / RENEW_FAST_MS;
  const r = {
    renewals,
    bytes: (m.up.bytes + m.down.bytes) / renewals,
    up: m.up.bytes / renewals,
    down: m.down.bytes / renewals,
    reads: m.down.chunks / renewals,
  };
  await w.watcher.stop();
  w.store.close();
  await m.close();
  return r;
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
  for (const config of ['full', 'nonotify'] as const) lat.push(await latency(config, users[config], dir));
  const renew = await renewalBytes('full', users.full, dir);
  const poll = await pollerRound('full', users.full);

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
  console.log(`  ratio naive / NOTIFY after the APPEND (p50): ${(naiveMs / lat[0]!.p50Append).toFixed(0)}×`);

  const perHour = 3_600_000 / IDLE_RENEW_MS;
  // One TLS 1.3 record of "* OK Still here\r\n": 5-byte header + 17 bytes + content type + 16-byte tag.
  const stillHereBytes = 5 + 17 + 1 + 16;
  const keepAlives = 30;
  console.log(`idle cost per account-hour (INBOX only; renewal bytes MEASURED on the wire, hour COMPUTED):`);
  console.log(
    `  ours: IDLE renewal every ${IDLE_RENEW_MS / 60_000} min → ${perHour.toFixed(2)} wake-ups (timers), ` +
      `${((perHour * renew.bytes) / 1024).toFixed(2)} KB (${renew.bytes.toFixed(0)} B per renewal: ${renew.up.toFixed(0)} up, ${renew.down.toFixed(0)} down, TLS included) (target ≤ 2 and ≤ 2 KB)`,
  );
  console.log(
    `  server keep-alives (Dovecot imap_idle_notify_interval = 2 min, not a timer of ours): ${keepAlives} reads, ~${((keepAlives * stillHereBytes) / 1024).toFixed(2)} KB (COMPUTED)`,
  );
  const pollKB = (60 * poll.bytes) / 1024;
  console.log(
    `  naive poller (STATUS INBOX every 60 s, kept IMAPS connection): 60 wake-ups, ${pollKB.toFixed(1)} KB (${poll.bytes.toFixed(0)} B per round, MEASURED)`,
  );
  console.log(
    `  ratio naive / ours: ${(60 / perHour).toFixed(0)}× wake-ups, ${(pollKB / ((perHour * renew.bytes) / 1024)).toFixed(0)}× bytes ` +
      `(${(pollKB / ((perHour * renew.bytes + keepAlives * stillHereBytes) / 1024)).toFixed(0)}× with the server's keep-alives)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await releaseDovecot(server);
}
if (failed) {
  console.error(`FAIL: p99 after the watcher's own notification above ${TARGET_MS} ms`);
  process.exit(1);
}
