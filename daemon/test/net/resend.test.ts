import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountDispatcher } from '../../src/net/account-dispatcher';
import { createDispatcher, ownConnectionOptions } from '../../src/net/dispatcher';
import { exchange } from '../../src/net/exchange';
import { RESET_RACE_MS, reusedSocketDied } from '../../src/net/resend';
import { REUSED_SOCKET } from '../../src/net/reuse-mark';
import type { HeartbeatState } from '../../src/eas/heartbeat';
import { failTimes, type Harness, harness, pingParked, sent, waitFor } from '../eas/harness';

const fresh = { responded: false, resent: false, sentAt: 0 };

describe('reusedSocketDied (net/resend.ts)', () => {
  it('a socket closed by the server after earlier answers, before this one: resend', () => {
    const err = Object.assign(new Error('other side closed'), {
      code: 'UND_ERR_SOCKET',
      socket: { bytesRead: 170, bytesWritten: 400 },
    });
    expect(reusedSocketDied(err, fresh)).toBe(true);
  });

  it('EPIPE: the request never left whole: resend', () => {
    expect(reusedSocketDied(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), fresh)).toBe(true);
  });

  it('never twice, never after an answer byte, never for a fresh socket or a reset or a timeout', () => {
    const closed = (bytesRead: number) =>
      Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET', socket: { bytesRead } });
    expect(reusedSocketDied(closed(170), { ...fresh, resent: true })).toBe(false);
    expect(reusedSocketDied(closed(170), { ...fresh, responded: true })).toBe(false);
    expect(reusedSocketDied(closed(0), fresh)).toBe(false);
    expect(reusedSocketDied(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), fresh)).toBe(false);
    expect(reusedSocketDied(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), fresh)).toBe(
      false,
    );
    expect(reusedSocketDied(undefined, fresh)).toBe(false);
  });

  // sogo-eas interop (issue 13): SOGo's close also reached us as a reset, which carries no counters.
  it('a reset of a socket our connector marked as reused, right after the write: resend; a late reset (a cut Ping) or a fresh socket: no', () => {
    const reset = (reused: boolean) =>
      Object.defineProperty(
        Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        REUSED_SOCKET,
        {
          value: reused,
        },
      );
    const sentAt = 1_000_000;
    expect(reusedSocketDied(reset(true), { ...fresh, sentAt }, sentAt + 5)).toBe(true);
    expect(reusedSocketDied(reset(true), { ...fresh, sentAt }, sentAt + RESET_RACE_MS)).toBe(false);
    expect(reusedSocketDied(reset(false), { ...fresh, sentAt }, sentAt + 5)).toBe(false);
    expect(reusedSocketDied(reset(true), { ...fresh, sentAt: 0 }, sentAt + 5)).toBe(false);
    expect(reusedSocketDied(reset(true), { ...fresh, sentAt, responded: true }, sentAt + 5)).toBe(false);
    // The mark wins over undici's counters, which include a TLS handshake.
    const closedFresh = Object.defineProperty(
      Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', socket: { bytesRead: 3000 } }),
      REUSED_SOCKET,
      { value: false },
    );
    expect(reusedSocketDied(closedFresh, fresh)).toBe(false);
  });
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** The production dispatchers: a shared Agent and the account's own connection beside it. */
function production(home: string): { d: AccountDispatcher; shared: Dispatcher } {
  const shared = createDispatcher({ shared: true });
  const d = new AccountDispatcher(shared, ownConnectionOptions(shared)!);
  d.home(home);
  closers.push(
    () => shared.close(),
    () => d.close(),
  );
  return { d, shared };
}

async function server(
  mode: 'after-answer' | 'on-next-request' | 'reset-on-next-request',
): Promise<EasFixtureServer> {
  const s = await startEasServer({ closeReused: mode });
  closers.push(() => s.close());
  return s;
}

describe('a server that closes a reused keep-alive connection (issue 13, SOGo 5.8)', () => {
  it('OPTIONS then a POST on the same socket, closed when the POST arrives: the POST is resent once on a fresh connection', async () => {
    const s = await server('on-next-request');
    const { d } = production(s.url);
    const auth = { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` };
    const first = await exchange(d, new URL(s.url), { method: 'OPTIONS', headers: auth });
    expect(first.statusCode).toBe(200);
    const url = new URL(s.url);
    url.search = '?Cmd=Provision&User=alice&DeviceId=abc&DeviceType=Tidings';
    // Any answer will do: what matters is that the request got one instead of UND_ERR_SOCKET.
    const second = await exchange(d, url, { method: 'POST', headers: auth, body: Buffer.alloc(0) });
    expect(second.statusCode).toBeGreaterThanOrEqual(200);
    expect(s.droppedOnReuse).toBe(1);
    expect(s.connections).toBe(2);
    expect(s.requests.map((r) => r.command)).toEqual(['OPTIONS', 'Provision']);
  });

  it('a server that drops every request on a reused socket: each is sent at most twice, never looping', async () => {
    const s = await server('on-next-request');
    const { d } = production(s.url);
    for (let i = 0; i < 5; i++) {
      const r = await exchange(d, new URL(s.url), { method: 'OPTIONS', headers: {} });
      expect(r.statusCode).toBe(401);
    }
    // The first on a fresh socket; each later one dropped once on reuse and answered on a new socket.
    expect(s.droppedOnReuse).toBe(4);
    expect(s.connections).toBe(5);
  });
});

describe('the watcher through the production dispatcher against such a server', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a held Ping whose reused socket the server closes is resent, and the close is not learnt as a NAT cut', async () => {
    h = await harness({ start: false });
    // Read, held 200 ms, then a FIN without an answer: on the socket the catch-up Syncs used.
    h.server.handlers.Ping = failTimes(1, { destroy: true, delayMs: 200 });
    h.watcher.start();
    await waitFor(
      () => h && h.server.parkedPings === 1 && sent(h, 'Ping').length === 2,
      'the resent Ping parked',
    );
    expect(h.watcher.status().state).toBe('waiting');
    expect(h.store.get<HeartbeatState>('work', 'eas.heartbeat.default')?.bad).toBeUndefined();
  });

  for (const mode of ['on-next-request', 'reset-on-next-request', 'after-answer'] as const) {
    it(`closeReused ${mode}: OPTIONS, Provision, FolderSync, Sync and Ping all get through; no back-off`, async () => {
      const shared = createDispatcher({ shared: true });
      closers.push(() => shared.close());
      h = await harness({
        server: { closeReused: mode, requireProvision: true },
        deps: { dispatcher: shared },
      });
      await pingParked(h);
      expect(h.statuses.some((st) => st.state === 'backing-off')).toBe(false);
      expect(sent(h, 'Provision').length).toBeGreaterThanOrEqual(2);
      expect(h.store.get('work', 'eas.policyKey')).toBeDefined();
      if (mode !== 'after-answer') expect(h.server.droppedOnReuse).toBeGreaterThan(0);
      h.server.addMail('alice', { subject: 'after the closes', from: 'a@b' });
      await pingParked(h);
      const signal = await waitFor(() => h?.signals[0], 'a signal');
      expect(signal.added[0]?.title).toBe('after the closes');
    });
  }
});
