import { afterEach, describe, expect, it } from 'vitest';
import {
  type JmapFixture,
  type JmapFixtureOptions,
  startJmapFixture,
} from '../../../fixtures/src/jmap-server';
import { harness, testContext, until } from './support';

let fx: JmapFixture | undefined;
const open: { close(): Promise<void> }[] = [];

async function fixture(o: JmapFixtureOptions = {}): Promise<JmapFixture> {
  fx = await startJmapFixture(o);
  return fx;
}

function watch(...args: Parameters<typeof harness>) {
  const h = harness(...args);
  open.push(h);
  h.watcher.start();
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await fx?.close();
  fx = undefined;
});

const waiting = (h: ReturnType<typeof harness>) => h.watcher.status().state === 'waiting';

describe('JMAP watcher faults', () => {
  it('never sends credentials to another origin: a cross-origin /.well-known/jmap redirect waits for the user (accept-move)', async () => {
    const moved = await startJmapFixture();
    try {
      const f = await fixture({ wellKnownRedirect: `${moved.url}/jmap/session` });
      const h = watch(f.url);
      await until('needs-confirmation', () => h.watcher.status().state === 'needs-confirmation');
      expect(h.watcher.status()).toMatchObject({
        lastError: { code: 'JMAP_ERR_REDIRECT' },
        move: { from: f.url, to: `${moved.url}/jmap/session` },
      });
      expect(h.watcher.status().detail).toContain('accept-move');
      expect(moved.requests).toEqual([]);
      expect(h.clock.timers.size).toBe(0);

      expect(h.watcher.acceptMove?.()).toBe(`${moved.url}/jmap/session`);
      await until('waiting on the new server', () => h.watcher.status().state === 'waiting');
      expect(moved.requests[0]).toMatchObject({
        path: '/jmap/session',
        authorization: expect.stringMatching(/^Basic /),
      });
      moved.data.add({ subject: 'on the new server' });
      await until('signal', () => h.t.published.length === 1);
      expect(h.watcher.acceptMove?.()).toBeUndefined();
    } finally {
      await moved.close();
    }
  });

  it('an API answer beyond the cap is refused unread (JMAP_ERR_TOO_LARGE) and retried with back-off', async () => {
    const f = await fixture();
    f.faults.push((_req, res, seen) => {
      if (seen.path !== '/jmap/api/') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, no Content-Length: the cap must hold while the body streams in.
      for (let i = 0; i < 64; i++) res.write(`${' '.repeat(16 * 1024)}`);
      res.end('{}');
      return true;
    });
    const h = watch(f.url, {}, { deps: { limits: { maxBytes: 64 * 1024 } } });
    await until('backing off', () => h.watcher.status().state === 'backing-off');
    expect(h.watcher.status().lastError?.code).toBe('JMAP_ERR_TOO_LARGE');
    expect(h.t.store.get('acct', 'jmap:mail')).toBeUndefined();
  });

  it('an API request past its deadline fails with JMAP_ERR_TIMEOUT', async () => {
    const f = await fixture();
    f.faults.push((_req, _res, seen) => seen.path === '/jmap/api/');
    const h = watch(f.url, {}, { deps: { limits: { deadlineMs: 300 } } });
    await until('backing off', () => h.watcher.status().state === 'backing-off');
    expect(h.watcher.status().lastError?.code).toBe('JMAP_ERR_TIMEOUT');
  });

  it('while the push endpoint fails (503), Email/changes runs on the interval: no mail waits for the stream', async () => {
    const f = await fixture();
    f.faults.push((_req, res, seen) => {
      if (seen.path !== '/jmap/eventsource/') return false;
      res.writeHead(503, { 'content-length': 0 });
      res.end();
      return true;
    });
    const h = watch(f.url, { interval: 60 });
    await until('push failed', () => waiting(h) && /push ended/.test(h.watcher.status().detail ?? ''));
    expect(h.watcher.status().detail).toMatch(/Email\/changes every 60 s meanwhile/);
    f.data.add({ subject: 'found by the interval' });
    h.clock.advance(60_000);
    await until('interval sync', () => h.t.published.length === 1);
  });

  it('a WebSocket that keeps failing before it opens yields to EventSource', async () => {
    const f = await fixture({ webSocket: true });
    f.refuseWebSockets(true);
    const h = watch(f.url);
    for (let i = 0; i < 3; i++) {
      await until(`websocket attempt ${i + 1} failed`, () => waiting(h) && h.watcher.pushMode() === 'none');
      h.clock.advance(5 * 60_000);
    }
    await until('eventsource', () => h.watcher.pushMode() === 'eventsource' && f.openStreams === 1);
    expect(f.requests.filter((r) => r.method === 'UPGRADE')).toHaveLength(3);
    f.data.add({ subject: 'over EventSource' });
    await until('signal', () => h.t.published.length === 1);
  });

  it('a WebSocket that stops answering its Core/echo keep-alives is a stall: dropped and reopened', async () => {
    const f = await fixture({ webSocket: true });
    const h = watch(f.url, { ping: 10 });
    await until(
      'websocket push',
      () => waiting(h) && h.watcher.pushMode() === 'websocket' && f.webSocketPushes === 1,
    );
    f.silenceWebSockets(true);
    // The echo at 10 s gets no answer; at 2 × 10 s + grace (1 s here) the socket counts as dead.
    h.clock.advance(10_000);
    h.clock.advance(10_000 + 1_000);
    await until('stalled', () => h.watcher.pushMode() === 'none');
    expect(h.watcher.status().lastError).toMatchObject({ code: 'JMAP_ERR_PUSH' });
    expect(h.watcher.status().lastError?.message).toMatch(/stalled/);
    f.silenceWebSockets(false);
    h.clock.advance(60_000);
    await until('reopened', () => f.webSocketPushes === 2);
    f.data.add({ subject: 'after the stall' });
    await until('signal', () => h.t.published.length === 1);
  });

  it('a WebSocket frame beyond the 1 MiB cap ends the socket before it is buffered; push reconnects', async () => {
    const f = await fixture({ webSocket: true });
    const h = watch(f.url);
    await until(
      'websocket push',
      () => waiting(h) && h.watcher.pushMode() === 'websocket' && f.webSocketPushes === 1,
    );
    f.sendToWebSockets(' '.repeat(2 * 1024 * 1024));
    await until('ended', () => h.watcher.pushMode() === 'none');
    // undici refused the frame by its announced length (our cap on the dispatcher it reads), so
    // the message never reached our own size check (which would say JMAP_ERR_TOO_LARGE).
    expect(h.watcher.status().lastError).toMatchObject({ code: 'JMAP_ERR_PUSH' });
    h.clock.advance(60_000);
    await until('reopened', () => f.webSocketPushes === 2);
  });

  it('an endless EventSource line stops at the 256 KiB event cap (JMAP_ERR_TOO_LARGE), then push reconnects', async () => {
    const f = await fixture();
    let hostile = true;
    f.faults.push((_req, res, seen) => {
      if (seen.path !== '/jmap/eventsource/' || !hostile) return false;
      hostile = false;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = `data: ${'x'.repeat(64 * 1024)}`;
      // No line end, ever: the parser must stop at its cap.
      const t = setInterval(() => res.write(chunk.slice(6)), 5);
      res.write(chunk);
      res.on('close', () => clearInterval(t));
      return true;
    });
    const h = watch(f.url);
    await until('too large', () => h.watcher.status().lastError?.code === 'JMAP_ERR_TOO_LARGE');
    expect(h.watcher.pushMode()).toBe('none');
    h.clock.advance(60_000);
    await until('reopened', () => f.openStreams === 1 && h.watcher.pushMode() === 'eventsource');
  });

  it('pages through Email/changes (maxObjectsInGet 2): each page committed with its signal, every mail once', async () => {
    const f = await fixture({ maxObjectsInGet: 2 });
    const ctx = testContext('acct');
    const h1 = watch(f.url, { push: 'off' }, { ctx });
    await until('waiting', () => waiting(h1));
    await h1.close();
    for (let i = 1; i <= 5; i++) f.data.add({ subject: `m${i}` });
    const h2 = watch(f.url, { push: 'off' }, { ctx });
    await until('all five', () => ctx.published.flatMap((s) => s.added).length === 5);
    await h2.watcher.checkNow();
    expect(ctx.published.map((s) => s.added.map((i) => i.title))).toEqual([
      ['m1', 'm2'],
      ['m3', 'm4'],
      ['m5'],
    ]);
    expect(f.requests.filter((r) => r.calls?.includes('Email/changes')).length).toBeGreaterThanOrEqual(3);
  });

  it('an idle round costs one request; a change one more round trip at most', async () => {
    const f = await fixture();
    const h = watch(f.url, { push: 'off' });
    await until('waiting', () => waiting(h));
    const api = () => f.requests.filter((r) => r.path === '/jmap/api/');
    let before = api().length;
    await h.watcher.checkNow();
    expect(
      api()
        .slice(before)
        .map((r) => r.calls),
    ).toEqual([['Email/changes', 'Email/get', 'Email/get', 'Mailbox/changes']]);
    f.data.add({ subject: 'one round trip' });
    before = api().length;
    await h.watcher.checkNow();
    expect(h.t.published).toHaveLength(1);
    expect(api().length - before).toBe(1);
  });

  it('Bearer tokens (Fastmail API tokens) go in the Authorization header', async () => {
    const f = await fixture({ bearer: 'tok-123' });
    const t = testContext('acct');
    t.ctx.secret = { get: async () => 'tok-123' };
    const h = watch(f.url, { auth: { type: 'bearer' } }, { ctx: t });
    await until('waiting', () => waiting(h));
    expect(f.requests.find((r) => r.path === '/jmap/session')?.authorization).toBe('Bearer tok-123');
  });

  it('a refused API token asks for the token, not a password', async () => {
    const f = await fixture({ bearer: 'tok-123' });
    const t = testContext('acct');
    t.ctx.secret = { get: async () => 'revoked' };
    const h = watch(f.url, { auth: { type: 'bearer' } }, { ctx: t });
    await until('needs-credentials', () => h.watcher.status().state === 'needs-credentials');
    expect(h.watcher.status().detail).toBe('The server refused the API token');
  });

  it('OAuth2: a token refused after its refresh asks for a new sign-in', async () => {
    const f = await fixture({ bearer: 'fresh' });
    const tokens = { getAccessToken: async () => 'revoked' };
    const h = watch(
      f.url,
      { auth: { type: 'oauth2', clientId: 'c', authority: 'https://login.example/o', scope: 'mail' } },
      { deps: { tokens } },
    );
    await until('needs-credentials', () => h.watcher.status().state === 'needs-credentials');
    expect(h.watcher.status().detail).toBe('Sign in again: tidings account login acct');
  });

  it('OAuth2: a 401 forces one token refresh, then the account works', async () => {
    const f = await fixture({ bearer: 'fresh' });
    const asked: (boolean | undefined)[] = [];
    let refreshed = false;
    const tokens = {
      getAccessToken: async (o?: { forceRefresh?: boolean }) => {
        asked.push(o?.forceRefresh);
        if (o?.forceRefresh) refreshed = true;
        return refreshed ? 'fresh' : 'stale';
      },
    };
    const h = watch(
      f.url,
      { auth: { type: 'oauth2', clientId: 'c', authority: 'https://login.example/o', scope: 'mail' } },
      { deps: { tokens } },
    );
    await until('waiting', () => waiting(h));
    // The well-known redirect, the refused session GET, then its one retry with a refreshed token.
    expect(asked.filter((x) => x === true)).toHaveLength(1);
    expect(f.requests.filter((r) => r.path === '/jmap/session').map((r) => r.authorization)).toEqual([
      'Bearer stale',
      'Bearer fresh',
    ]);
  });
});
