/**
 * DAV benchmark (issue 4): requests and bytes on the wire per idle hour for an account with 10
 * calendars — our watcher (one PROPFIND Depth: 1 on the home per check) beside a naive watcher
 * that PROPFINDs each collection on its own — measured in the same run against the same server:
 * Radicale when scripts/radicale.sh can run it, else the fixture DAV server (printed).
 *
 * Method: per-check cost is MEASURED (N idle checks each, bytes counted by a TCP proxy between
 * client and server, requests counted by an undici interceptor); checks per hour are COMPUTED
 * from the schedule (the pure nextPollDelay walked over one simulated hour), not waited for.
 *   npx tsx daemon/bench/dav.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { type DavFixture, startDavFixture } from '../../fixtures/src/dav-server';
import type { DavAccount } from '../src/config/account';
import { propfindHome } from '../src/dav/home-propfind';
import { compose, createTransport } from '../src/dav/request';
import { intervalPolicy, nextPollDelay } from '../src/dav/schedule';
import { withBasicAuth, withStatusErrors } from '../src/dav/wrappers';
import { MemoryStore } from '../src/store/memory-store';
import { createDavWatcher } from '../src/watch/dav-watcher';
import {
  ensureRadicale,
  RADICALE_USERS,
  RadicaleClient,
  releaseRadicale,
} from '../test/interop/support/radicale';

const COLLECTIONS = 10;
const EVENTS_PER_COLLECTION = 20;
const CHECKS = 30;
const HOUR = 3600_000;

/** A counting TCP proxy: every byte each way between client and server. */
async function startMeter(target: { host: string; port: number }) {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (b: Buffer) => {
      up += b.length;
    });
    upstream.on('data', (b: Buffer) => {
      down += b.length;
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    reset: () => {
      up = 0;
      down = 0;
    },
    bytes: () => up + down,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An undici Agent whose requests are counted. */
function countingAgent() {
  let n = 0;
  const agent = new Agent({ keepAliveTimeout: 10 * 60_000 });
  const dispatcher: Dispatcher = agent.compose((dispatch) => (opts, handler) => {
    n++;
    return dispatch(opts, handler);
  });
  return { agent, dispatcher, count: () => n, reset: () => (n = 0) };
}

function vevent(uid: string, i: number): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//tidings//bench//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20260101T000000Z',
    `DTSTART:202603${String((i % 28) + 1).padStart(2, '0')}T090000Z`,
    `DTEND:202603${String((i % 28) + 1).padStart(2, '0')}T100000Z`,
    `SUMMARY:Event ${i}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

interface Peer {
  label: string;
  origin: { host: string; port: number };
  user: string;
  password: string;
  home: string;
  collections: string[];
  close(): Promise<void>;
}

async function radicalePeer(): Promise<Peer | string> {
  const state = await ensureRadicale();
  if ('reason' in state) return state.reason;
  const bob = new RadicaleClient('bob');
  await bob.clearHome();
  const collections: string[] = [];
  for (let c = 0; c < COLLECTIONS; c++) {
    const href = `/bob/bench-${c}-${randomUUID().slice(0, 6)}/`;
    await bob.mkcalendar(href, `Bench ${c}`);
    for (let i = 0; i < EVENTS_PER_COLLECTION; i++)
      await bob.put(`${href}${i}.ics`, vevent(`${c}-${i}`, i), 'text/calendar');
    collections.push(href);
  }
  return {
    label: 'Radicale (scripts/radicale.sh, 127.0.0.1:5232)',
    origin: { host: '127.0.0.1', port: 5232 },
    user: 'bob',
    password: RADICALE_USERS.get('bob') ?? '',
    home: '/bob/',
    collections,
    close: async () => {
      await bob.clearHome();
      await releaseRadicale(state);
    },
  };
}

async function fixturePeer(): Promise<Peer> {
  const fx: DavFixture = await startDavFixture({ users: { alice: 'secret' } });
  const collections: string[] = [];
  for (let c = 0; c < COLLECTIONS; c++) {
    const href = `/cal/alice/bench-${c}/`;
    fx.data.addCollection(href, 'calendar', `Bench ${c}`);
    for (let i = 0; i < EVENTS_PER_COLLECTION; i++) fx.data.put(href, `${i}.ics`, vevent(`${c}-${i}`, i));
    collections.push(href);
  }
  const u = new URL(fx.url);
  return {
    label: 'fixture DAV server (fixtures/src/dav-server)',
    origin: { host: u.hostname, port: Number(u.port) },
    user: 'alice',
    password: 'secret',
    home: '/cal/alice/',
    collections,
    close: () => fx.close(),
  };
}

/** Checks in one hour under the adaptive schedule, starting `idleBefore` ms after the last change. */
function checksPerHour(idleBefore: number, policy = intervalPolicy(undefined)): number {
  let t = 0;
  let n = 0;
  while (t < HOUR) {
    t += nextPollDelay(idleBefore + t, policy);
    if (t <= HOUR) n++;
  }
  return n;
}

async function main() {
  const radicale = await radicalePeer();
  if (typeof radicale === 'string')
    console.log(`Radicale unavailable (${radicale}); using the fixture DAV server`);
  const peer = typeof radicale === 'string' ? await fixturePeer() : radicale;
  console.log(`DAV benchmark — server: ${peer.label}`);
  console.log(
    `account: ${COLLECTIONS} calendars × ${EVENTS_PER_COLLECTION} events; ${CHECKS} measured idle checks per watcher`,
  );
  const meter = await startMeter(peer.origin);
  const base = `http://127.0.0.1:${meter.port}`;
  try {
    // Ours: the real watcher, driven check by check.
    const ours = countingAgent();
    const store = new MemoryStore();
    const account: DavAccount = {
      id: 'bench',
      kind: 'caldav',
      enabled: true,
      url: `${base}${peer.home}`,
      username: peer.user,
      secret: { env: 'UNUSED' },
    };
    const watcher = createDavWatcher(
      account,
      {
        accountId: 'bench',
        store,
        log: pino({ level: 'silent' }),
        secret: { get: async () => peer.password },
        publish: () => undefined,
        setStatus: () => undefined,
      },
      { dispatcher: ours.dispatcher },
    );
    watcher.start();
    await watcher.checkNow(); // discovery + baseline, not measured
    if (watcher.status().state !== 'waiting')
      throw new Error(`watcher did not settle: ${JSON.stringify(watcher.status())}`);
    ours.reset();
    meter.reset();
    for (let i = 0; i < CHECKS; i++) await watcher.checkNow();
    const oursReq = ours.count() / CHECKS;
    const markersBytes = meter.bytes() / CHECKS;
    await watcher.stop();
    // The watcher re-reads names and types with a full listing once an hour (FULL_LISTING_MS);
    // measure that request alone so the hourly figure includes it.
    const fullSend = compose(
      createTransport({ dispatcher: ours.dispatcher }),
      withStatusErrors(),
      withBasicAuth(peer.user, async () => peer.password),
    );
    meter.reset();
    await propfindHome(fullSend, new URL(peer.home, base), { detail: 'full' });
    const fullBytes = meter.bytes();
    await ours.agent.close();

    // Naive: one PROPFIND Depth: 0 per collection per check, asking the same change markers.
    const naive = countingAgent();
    const send = compose(
      createTransport({ dispatcher: naive.dispatcher }),
      withStatusErrors(),
      withBasicAuth(peer.user, async () => peer.password),
    );
    const body =
      '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">' +
      '<D:prop><D:sync-token/><CS:getctag/></D:prop></D:propfind>';
    const naiveCheck = async () => {
      for (const href of peer.collections) {
        await send({
          method: 'PROPFIND',
          url: new URL(href, base),
          headers: { depth: '0', 'content-type': 'application/xml' },
          body,
        });
      }
    };
    await naiveCheck(); // warm the connection like ours was
    naive.reset();
    meter.reset();
    for (let i = 0; i < CHECKS; i++) await naiveCheck();
    const naiveReq = naive.count() / CHECKS;
    const naiveBytes = meter.bytes() / CHECKS;
    await naive.agent.close();

    const idleChecks = checksPerHour(365 * 24 * HOUR);
    const afterChange = checksPerHour(0);
    const fixedChecks = HOUR / intervalPolicy(undefined).minMs;
    // Per hour: one full listing, the other checks markers-only.
    const oursHour = (checks: number) => fullBytes + markersBytes * (checks - 1);
    const oursBytes = oursHour(idleChecks) / idleChecks;
    const row = (name: string, req: number, bytes: number, checks: number) =>
      `${name.padEnd(44)} ${req.toFixed(1).padStart(8)} ${Math.round(bytes).toString().padStart(10)} ${String(checks).padStart(8)} ${Math.round(
        req * checks,
      )
        .toString()
        .padStart(9)} ${Math.round(bytes * checks)
        .toString()
        .padStart(11)}`;
    console.log(
      `\nours per check: markers-only ${Math.round(markersBytes)} B, hourly full listing ${Math.round(fullBytes)} B`,
    );
    console.log(
      'per-check cost measured; checks per hour computed from the schedule (default interval 30–900 s)',
    );
    console.log(
      `${'watcher / schedule'.padEnd(44)} ${'req/chk'.padStart(8)} ${'B/chk (avg)'.padStart(10)} ${'chk/h'.padStart(8)} ${'req/h'.padStart(9)} ${'bytes/h'.padStart(11)}`,
    );
    console.log(row('ours, adaptive, idle hour', oursReq, oursBytes, idleChecks));
    console.log(row('naive per-collection, same schedule', naiveReq, naiveBytes, idleChecks));
    console.log(
      row(
        'ours, adaptive, first hour after a change',
        oursReq,
        oursHour(afterChange) / afterChange,
        afterChange,
      ),
    );
    console.log(row('naive per-collection, fixed 30 s', naiveReq, naiveBytes, fixedChecks));
    console.log(
      `\nratio naive/ours, same schedule: requests ×${(naiveReq / oursReq).toFixed(1)}, bytes ×${(naiveBytes / oursBytes).toFixed(2)}`,
    );
    console.log(
      `ratio naive fixed 30 s / ours adaptive idle hour: requests ×${((naiveReq * fixedChecks) / (oursReq * idleChecks)).toFixed(0)}, bytes ×${((naiveBytes * fixedChecks) / (oursBytes * idleChecks)).toFixed(0)}`,
    );
  } finally {
    await meter.close();
    await peer.close();
  }
}

await main();
