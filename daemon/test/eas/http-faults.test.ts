import { int } from '@tidings/wbxml';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenProvider } from '../../src/eas/auth';
import { failTimes, type Harness, harness, pingParked, sent, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const state = (x: Harness, s: string) =>
  waitFor(() => x.watcher.status().state === s && x.watcher.status(), s);

describe('HTTP faults (MS-ASHTTP 2.2.2.1.1)', () => {
  it('401: needs-credentials after one request, no retry scheduled; a fixed password and wake() recover', async () => {
    h = await harness({ password: 'wrong' });
    const st = await state(h, 'needs-credentials');
    expect(st.lastError?.code).toBe('EAS_ERR_AUTH');
    expect(st.lastError?.message).toMatch(/user name or password/);
    expect(JSON.stringify(h.statuses)).not.toContain('wrong');
    expect(h.server.requests).toHaveLength(1);
    expect(h.watcher.armedTimer).toBeUndefined();
    expect(h.timers.pending.size).toBe(0);
    h.password = 'alice-password';
    h.watcher.wake?.('manual');
    await pingParked(h);
  });

  it('401 with OAuth2: one forced token refresh, then needs-credentials', async () => {
    const calls: (boolean | undefined)[] = [];
    const tokens: TokenProvider = {
      getAccessToken: async (o) => {
        calls.push(o?.forceRefresh);
        return 'stale-token';
      },
    };
    h = await harness({
      server: { tokens: { 'fresh-token': 'alice' } },
      account: { auth: { type: 'oauth2', clientId: 'c', tenant: 'common', scope: 's' } },
      deps: { tokens },
    });
    const st = await state(h, 'needs-credentials');
    expect(st.lastError?.code).toBe('EAS_ERR_AUTH');
    expect(st.detail).toMatch(/Sign in again: tidings account login \S+$/);
    expect(calls).toEqual([undefined, true]);
    expect(h.server.requests).toHaveLength(2);
  });

  it('401 with OAuth2 recovers when the refreshed token is accepted', async () => {
    let n = 0;
    const tokens: TokenProvider = {
      getAccessToken: async (o) => (o?.forceRefresh ? `fresh-token` : `old-${n++}`),
    };
    h = await harness({
      server: { tokens: { 'fresh-token': 'alice' } },
      account: { auth: { type: 'oauth2', clientId: 'c', tenant: 'common', scope: 's' } },
      deps: { tokens },
    });
    await pingParked(h);
  });

  it('403: disabled with a message about ActiveSync access, nothing retried', async () => {
    h = await harness({ start: false });
    h.server.handlers.OPTIONS = () => ({ status: 403 });
    h.watcher.start();
    const st = await state(h, 'disabled');
    expect(st.lastError).toEqual({
      code: 'EAS_ERR_FORBIDDEN',
      message: expect.stringMatching(/not enabled for ActiveSync/),
    });
    expect(h.watcher.armedTimer).toBeUndefined();
  });

  it('456: disabled, account blocked', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = () => ({ status: 456 });
    h.watcher.start();
    const st = await state(h, 'disabled');
    expect(st.lastError?.code).toBe('EAS_ERR_ACCOUNT_BLOCKED');
    expect(st.lastError?.message).toMatch(/blocked/);
  });

  it('457: needs-credentials, password expired', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = () => ({ status: 457 });
    h.watcher.start();
    const st = await state(h, 'needs-credentials');
    expect(st.lastError?.code).toBe('EAS_ERR_PASSWORD_EXPIRED');
    expect(st.lastError?.message).toMatch(/expired/);
  });

  it('507: backing-off for minutes, mailbox full', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = () => ({ status: 507 });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_MAILBOX_FULL');
    expect(h.timers.delays.at(-1)).toBeGreaterThanOrEqual(2.5 * 60_000);
    expect(h.watcher.armedTimer).toBe('retry');
    await h.watcher.stop();
    expect(h.watcher.armedTimer).toBeUndefined();
    expect(h.timers.pending.size).toBe(0);
    expect(h.watcher.status().state).toBe('stopped');
  });

  it('503 with Retry-After and X-MS-ASThrottle: waits what the server asked, then reconnects', async () => {
    h = await harness({ start: false });
    h.server.handlers.Sync = failTimes(1, {
      status: 503,
      headers: { 'retry-after': '120', 'x-ms-asthrottle': 'MaxConcurrentSyncs' },
    });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_THROTTLED');
    expect(st.lastError?.message).toContain('MaxConcurrentSyncs');
    expect(h.timers.delays.at(-1)).toBe(120_000);
    expect(Date.parse(st.retryAt ?? '') - Date.parse(st.since)).toBe(120_000);
    h.timers.fireAll();
    await pingParked(h);
  });

  it('500: exponential back-off with jitter, then recovery', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = failTimes(2, { status: 500 });
    h.watcher.start();
    await state(h, 'backing-off');
    expect(h.watcher.status().lastError?.code).toBe('EAS_ERR_SERVER');
    h.timers.fireAll();
    await waitFor(
      () => h?.timers.delays.length === 2 && h.watcher.status().state === 'backing-off',
      'second back-off',
    );
    const [first, second] = h.timers.delays as [number, number];
    expect(second).toBeGreaterThan(first);
    h.timers.fireAll();
    await pingParked(h);
  });

  it('a dropped response (socket closed, no answer) is resent once, then backs off as a network error and recovers', async () => {
    h = await harness({ start: false });
    // The catch-up Sync reuses the FolderSync's socket: its drop is resent on a fresh one (issue 13).
    h.server.handlers.Sync = failTimes(2, { destroy: true });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_NETWORK');
    expect(sent(h, 'Sync')).toHaveLength(2);
    h.timers.fireAll();
    await pingParked(h);
  });

  it('a slow response is waited for', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = (_r, next) => next().then((r) => ({ ...r, delayMs: 300 }));
    h.watcher.start();
    await pingParked(h);
    expect(h.statuses.some((s) => s.state === 'backing-off')).toBe(false);
  });

  it('a body that is not WBXML: EAS_ERR_BAD_RESPONSE, back-off', async () => {
    h = await harness({ start: false });
    h.server.handlers.FolderSync = failTimes(1, { body: new Uint8Array([0x3c, 0x68, 0x74, 0x6d, 0x6c]) });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_BAD_RESPONSE');
  });

  it('451: follows X-MS-Location, keeps the new URL, and announces through it', async () => {
    h = await harness({ start: false });
    const moved = h.server.url.replace('/Microsoft-Server-ActiveSync', '/moved/Microsoft-Server-ActiveSync');
    h.server.handlers['*'] = (req, next) =>
      req.path === '/Microsoft-Server-ActiveSync' && req.command !== 'OPTIONS'
        ? { status: 451, headers: { 'x-ms-location': moved } }
        : next();
    h.watcher.start();
    await pingParked(h);
    expect(h.store.get('work', 'eas.url')).toBe(moved);
    expect(sent(h, 'Ping').every((r) => r.path === '/moved/Microsoft-Server-ActiveSync')).toBe(true);
    h.server.addMail('alice', { subject: 'via new server', from: 'a@b' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.added[0]?.title).toBe('via new server');
  });

  it('451 forever: the hop cap stops it (EAS_ERR_REDIRECT), back-off', async () => {
    h = await harness({ start: false });
    const url = h.server.url;
    h.server.handlers.FolderSync = () => ({ status: 451, headers: { 'x-ms-location': url } });
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_REDIRECT');
    expect(sent(h, 'FolderSync')).toHaveLength(4);
  });

  it('server restart: the cut Ping is resent and changes keep flowing', async () => {
    h = await harness();
    await pingParked(h);
    const pings = sent(h, 'Ping').length;
    await h.server.restart();
    await waitFor(
      () => h && sent(h, 'Ping').length > pings && h.server.parkedPings > 0,
      'Ping after restart',
    );
    h.server.addMail('alice', { subject: 'after restart', from: 'a@b' });
    const s = await waitFor(() => h?.signals[0], 'signal');
    expect(s.added[0]?.title).toBe('after restart');
    // The last Ping with a body: an empty one repeats it (MS-ASCMD 2.2.1.13), and one may
    // already be out by the time the signal arrives.
    const lastFull = sent(h, 'Ping')
      .slice(pings)
      .filter((r) => r.body !== undefined)
      .at(-1);
    expect(int(lastFull?.body, 'HeartbeatInterval')).toBeGreaterThanOrEqual(60);
  });

  it('server gone: network error, backing-off with retryAt', async () => {
    h = await harness({ start: false });
    await h.server.close();
    h.watcher.start();
    const st = await state(h, 'backing-off');
    expect(st.lastError?.code).toBe('EAS_ERR_NETWORK');
    expect(st.retryAt).toBeDefined();
  });
});

describe('credential sources that fail', () => {
  it('a password source that fails: needs-credentials, no request sent', async () => {
    h = await harness({
      start: false,
      readSecret: () =>
        Promise.reject(Object.assign(new Error('keyring locked'), { code: 'SECRET_ERR_LOCKED' })),
    });
    const x = h;
    x.watcher.start();
    const st = await state(x, 'needs-credentials');
    expect(st.lastError?.code).toBe('EAS_ERR_AUTH');
    expect(st.lastError?.message).toContain('SECRET_ERR_LOCKED');
    expect(x.server.requests).toHaveLength(0);
  });

  it.each([
    ['EAS_ERR_OAUTH_INVALID_GRANT', 'needs-credentials', 'EAS_ERR_AUTH'],
    ['EAS_ERR_OAUTH_NETWORK', 'backing-off', 'EAS_ERR_NETWORK'],
  ])('a token provider failing with %s: %s', async (code, expected, easCode) => {
    const tokens: TokenProvider = {
      getAccessToken: async () => {
        throw Object.assign(new Error('token endpoint says no'), { code });
      },
    };
    h = await harness({
      account: { auth: { type: 'oauth2', clientId: 'c', tenant: 'common', scope: 's' } },
      deps: { tokens },
    });
    const st = await state(h, expected);
    expect(st.lastError?.code).toBe(easCode);
  });
});
