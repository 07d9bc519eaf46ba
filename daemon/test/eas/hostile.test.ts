import { Writable } from 'node:stream';
import {
  endlessBody,
  hugeBody,
  movedTo,
  phantomPing,
  redirectTo,
  startEasServer,
  trickle,
} from '@tidings/fixtures';
import pino from 'pino';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { EasError } from '../../src/eas/errors';
import { PHANTOM_BOUNDS, PHANTOM_DETAIL, PHANTOM_FREE, phantomPause } from '../../src/eas/phantom';
import { EasHttp } from '../../src/eas/transport';
import { createDispatcher } from '../../src/net/dispatcher';
import type { WatcherStatus } from '../../src/watch/types';
import { type Harness, harness, pingParked, sent, waitFor } from './harness';

/** A warn-level pino logger whose lines the test reads. */
function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

let h: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of closers.splice(0).reverse()) await c();
});

function state(x: Harness, s: WatcherStatus['state']): Promise<WatcherStatus> {
  return waitFor(() => x.watcher.status().state === s && x.watcher.status(), s);
}

const MB = 1024 * 1024;

describe('hostile bodies (issue 13 §3)', () => {
  it('a 500 MB Ping answer is refused on its headers: EAS_ERR_TOO_LARGE, a long back-off, status says why', async () => {
    h = await harness({ start: false });
    h.server.handlers.Ping = () => hugeBody(500 * MB);
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_TOO_LARGE');
    expect(st.detail).toMatch(/^Ping: the answer announces 524288000 bytes, more than the 1048576 allowed/);
    // recovery.ts: a minute at first (jittered down to half), not the 2 s of a network blip.
    expect(h.timers.delays[0]).toBeGreaterThanOrEqual(30_000);
  });

  it('an endless chunked Ping answer stops at the 1 MB cap instead of growing the daemon (issue 13: ~90 MB/s)', async () => {
    h = await harness({ start: false });
    h.server.handlers.Ping = () => endlessBody();
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_TOO_LARGE');
    expect(st.detail).toContain('Ping: the answer is larger than the 1048576 bytes allowed');
    expect(sent(h, 'Ping')).toHaveLength(1);
  });

  it('an endless FolderSync answer stops at the 1 MB cap', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = () => endlessBody();
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_TOO_LARGE');
    expect(st.detail).toContain('larger than the 1048576 bytes allowed');
  });

  it('Sync has its own, configurable cap (limits.syncBytes)', async () => {
    h = await harness({ start: false, account: { limits: { syncBytes: 64 * 1024 } } });
    h.server.handlers.Sync = () => hugeBody(100 * 1024, { announce: false });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_TOO_LARGE');
    expect(st.detail).toContain(
      'Sync: the answer is larger than the 65536 bytes allowed (the account setting limits.syncBytes raises it)',
    );
  });

  it('a Sync trickled at one byte per 150 ms (150 s in all) fails on its 3 s total deadline and backs off; status says it trickles', async () => {
    h = await harness({ start: false, account: { limits: { requestTimeout: 3 } } });
    const slow = trickle(1000, 150);
    h.server.handlers.Sync = () => slow.reply;
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_TIMEOUT');
    expect(st.detail).toContain('Sync: no complete answer within 3 s (the server trickles its answer)');
    await waitFor(() => slow.abandoned === 1, 'the trickle abandoned');
  });
});

describe('phantom changes (issue 13 §3)', () => {
  it('phantomPause: free at first, then a few requests a second, doubling to the cap', () => {
    const pauses = Array.from({ length: 14 }, (_, i) => phantomPause(i + 1));
    expect(pauses.slice(0, PHANTOM_FREE)).toEqual([0, 0]);
    expect(pauses.slice(PHANTOM_FREE, PHANTOM_FREE + 4)).toEqual([500, 1000, 2000, 4000]);
    for (let i = 1; i < pauses.length; i++) expect(pauses[i]).toBeGreaterThanOrEqual(pauses[i - 1]!);
    expect(phantomPause(1000)).toBe(PHANTOM_BOUNDS.capMs);
    expect(phantomPause(3, { firstMs: 10, capMs: 15 })).toBe(10);
    expect(phantomPause(5, { firstMs: 10, capMs: 15 })).toBe(15);
  });

  it('a Ping that answers Status 2 forever while Sync finds nothing: counted requests, growing pauses, status says why', async () => {
    const { log, lines } = capture();
    h = await harness({ start: false, log });
    h.server.handlers.Ping = phantomPing();
    h.watcher.start();
    // The window ends when the watcher parks on its first pause: no timer fires by itself here.
    const st = await waitFor(
      () =>
        h?.watcher.armedTimer === 'retry' && h.watcher.status().state === 'backing-off' && h.watcher.status(),
      'the first phantom pause',
    );
    const folders = st.folders?.length ?? 0;
    expect(folders).toBeGreaterThan(0);
    const pings = () => sent(h!, 'Ping').length;
    const syncs = () => sent(h!, 'Sync').length;
    expect(pings()).toBe(PHANTOM_FREE + 1);
    expect(st.detail).toBe(`${PHANTOM_DETAIL}; next Ping in 1 s`);
    expect(st.lastError?.code).toBe('EAS_ERR_PHANTOM_CHANGES');
    expect(lines.some((l) => String(l.msg).includes(PHANTOM_DETAIL))).toBe(true);
    // Each pause ends by its timer only and lets exactly one Ping through, with its Syncs (one per
    // folder, plus a confirming one once SOGo's pattern is learnt); the next pause is longer.
    for (let round = 1; round <= 3; round++) {
      const syncsBefore = syncs();
      h.timers.fireAll();
      await waitFor(
        () => pings() === PHANTOM_FREE + 1 + round && h?.watcher.armedTimer === 'retry',
        `pause ${round + 1}`,
      );
      expect(syncs() - syncsBefore).toBeLessThanOrEqual(2 * folders);
    }
    expect(h.timers.delays.slice(-4)).toEqual([500, 1000, 2000, 4000]);
  });

  it('a real change after phantoms ends the pauses', async () => {
    h = await harness({ start: false });
    h.server.handlers.Ping = phantomPing();
    h.watcher.start();
    await waitFor(() => h?.watcher.armedTimer === 'retry', 'a phantom pause');
    h.server.handlers.Ping = undefined;
    h.server.addMail('alice', { subject: 'real', from: 'a@b' });
    h.timers.fireAll();
    const s = await waitFor(() => h?.signals[0], 'the real change');
    expect(s.added[0]?.title).toBe('real');
    await pingParked(h);
  });
});

describe('moves never carry credentials to another origin unconfirmed (issue 13 §2)', () => {
  async function elsewhere() {
    const other = await startEasServer();
    closers.push(() => other.close());
    return other;
  }

  it('451 to another origin: needs-confirmation naming it, no request there, nothing stored; accept-move follows', async () => {
    const other = await elsewhere();
    const { log, lines } = capture();
    h = await harness({ start: false, log });
    h.server.handlers['*'] = (req, next) => (req.command === 'OPTIONS' ? next() : movedTo(other.url));
    h.watcher.start();
    const st = await state(h, 'needs-confirmation');
    expect(st.lastError?.code).toBe('EAS_ERR_MOVE_UNCONFIRMED');
    expect(st.move).toEqual({ from: h.server.url, to: other.url });
    expect(st.detail).toContain('tidings account accept-move work');
    expect(other.requests).toHaveLength(0);
    expect(h.store.get('work', 'eas.url')).toBeUndefined();
    expect(h.watcher.armedTimer).toBeUndefined();
    expect(lines.some((l) => l.level === 40 && l.to === other.url)).toBe(true);

    expect(h.watcher.acceptMove?.()).toBe(other.url);
    expect(h.watcher.acceptMove?.()).toBeUndefined();
    await waitFor(
      () => other.parkedPings > 0 && h?.watcher.status().state === 'waiting',
      'Ping on the new server',
    );
    expect(h.store.get('work', 'eas.url')).toBe(other.url);
  });

  it('a restart before accepting asks again: the move was not stored', async () => {
    const other = await elsewhere();
    h = await harness({ start: false });
    h.server.handlers['*'] = (req, next) => (req.command === 'OPTIONS' ? next() : movedTo(other.url));
    h.watcher.start();
    await state(h, 'needs-confirmation');
    await h.watcher.stop();
    h.watcher.start();
    await state(h, 'needs-confirmation');
    expect(other.requests).toHaveLength(0);
  });

  it('a 302 to another origin is a move too; a same-origin 307 is followed for that request', async () => {
    const other = await elsewhere();
    h = await harness({ start: false });
    h.server.handlers.FolderSync = (req, next) =>
      req.path === '/Microsoft-Server-ActiveSync'
        ? redirectTo(
            h!.server.url.replace('/Microsoft', '/again/Microsoft') +
              '?Cmd=FolderSync&User=alice&DeviceId=x&DeviceType=Tidings',
            307,
          )
        : next();
    h.server.handlers.Sync = () => redirectTo(`${other.url}?Cmd=Sync`);
    h.watcher.start();
    const st = await state(h, 'needs-confirmation');
    expect(st.move?.to).toBe(other.url);
    expect(st.lastError?.message).toContain('(HTTP 302)');
    expect(sent(h, 'FolderSync').map((r) => r.path)).toEqual([
      '/Microsoft-Server-ActiveSync',
      '/again/Microsoft-Server-ActiveSync',
    ]);
    expect(other.requests).toHaveLength(0);
    expect(h.store.get('work', 'eas.url')).toBeUndefined();
  });

  it('https to http on the same host is a downgrade: refused without sending anything there', async () => {
    const seen: string[] = [];
    // A dispatcher that answers every request with a 451 to the plain-http twin of the host.
    const stub = {
      dispatch(o: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
        seen.push(`${String(o.origin)} ${String((o.headers as Record<string, string>).authorization)}`);
        const hdrs = [
          Buffer.from('x-ms-location'),
          Buffer.from('http://mail.example.test/Microsoft-Server-ActiveSync'),
        ];
        queueMicrotask(() => {
          handler.onConnect?.(() => {});
          handler.onHeaders?.(451, hdrs, () => {}, 'Moved');
          handler.onComplete?.([]);
        });
        return true;
      },
    } as unknown as Dispatcher;
    let stored: string | undefined;
    const http = new EasHttp({
      url: 'https://mail.example.test/Microsoft-Server-ActiveSync',
      user: 'alice',
      deviceId: 'abc',
      auth: { kind: 'basic', username: 'alice', password: async () => 'secret' },
      dispatcher: stub,
      onRedirect: (u) => {
        stored = u;
      },
    });
    const err = await http.post('FolderSync', undefined, { version: '14.1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EasError);
    expect((err as EasError).code).toBe('EAS_ERR_MOVE_UNCONFIRMED');
    expect((err as EasError).location).toBe('http://mail.example.test/Microsoft-Server-ActiveSync');
    expect((err as EasError).message).toContain('over plain http');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^https:\/\/mail\.example\.test Basic /);
    expect(stored).toBeUndefined();
    expect(http.url).toBe('https://mail.example.test/Microsoft-Server-ActiveSync');
  });

  it('a same-origin 451 is followed, stored and logged at warn', async () => {
    const { log, lines } = capture();
    h = await harness({ start: false, log });
    const moved = h.server.url.replace('/Microsoft-Server-ActiveSync', '/moved/Microsoft-Server-ActiveSync');
    h.server.handlers['*'] = (req, next) =>
      req.path === '/Microsoft-Server-ActiveSync' && req.command !== 'OPTIONS' ? movedTo(moved) : next();
    h.watcher.start();
    await pingParked(h);
    expect(h.store.get('work', 'eas.url')).toBe(moved);
    expect(lines.filter((l) => l.level === 40 && l.to === moved)).toHaveLength(1);
  });
});

describe('TLS honesty (issue 13 §6)', () => {
  it('tls.rejectUnauthorized false: a warning naming the account on every new connection', async () => {
    const { log, lines } = capture();
    const shared = createDispatcher({ shared: true, tls: { rejectUnauthorized: false } });
    closers.push(() => shared.close());
    h = await harness({
      start: false,
      log,
      account: { tls: { rejectUnauthorized: false } },
      deps: { dispatcher: shared },
    });
    h.watcher.start();
    await pingParked(h);
    const warned = () =>
      lines.filter(
        (l) => l.level === 40 && l.account === 'work' && String(l.msg).includes('verification is OFF'),
      );
    const first = warned().length;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(String(warned()[0]?.msg)).toContain('account work');
    const connections = h.server.connections;
    await h.server.restart();
    await waitFor(() => h && h.server.parkedPings > 0 && h.server.connections > connections, 'reconnected');
    expect(warned().length).toBeGreaterThan(first);
  });

  it('verification on: no such warning', async () => {
    const { log, lines } = capture();
    const shared = createDispatcher({ shared: true });
    closers.push(() => shared.close());
    h = await harness({ start: false, log, deps: { dispatcher: shared } });
    h.watcher.start();
    await pingParked(h);
    expect(lines.some((l) => String(l.msg).includes('verification is OFF'))).toBe(false);
  });
});
