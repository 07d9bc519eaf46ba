/**
 * The IMAP watcher's state machine without sockets: a fake connection (fake-imap.ts) and a manual
 * clock. Connect failures back off on the clock's one timer; a refused login waits for the user
 * and retries nothing; OAuth gets one forced token refresh; a dropped connection reconnects and
 * re-checks from the stored state without repeating; stop leaves no timer armed.
 */
import { describe, expect, it } from 'vitest';
import type { ImapAccount } from '../../src/config/account';
import { ImapError } from '../../src/imap/errors';
import { createImapWatcher, STEP_DEADLINE_MS } from '../../src/watch/imap-watcher';
import { FakeClock, testContext } from '../dav/support';
import { FakeServer } from './fake-imap';

const account = (extra: Partial<ImapAccount> = {}): ImapAccount => ({
  id: 'acct',
  kind: 'imap',
  enabled: true,
  host: 'imap.example.test',
  security: 'tls',
  username: 'ann',
  secret: { env: 'UNUSED' },
  ...extra,
});

/** Lets promise chains settle (the fake answers in microtasks; no timers involved). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('IMAP watcher state machine', () => {
  it('baselines silently, announces an APPEND once, and stop leaves no timer armed', async () => {
    const server = new FakeServer();
    server.append('INBOX', 'old');
    const clock = new FakeClock();
    const { ctx, published } = testContext();
    const w = createImapWatcher(account(), ctx, { clock, connect: async () => server.connect().asFlow() });
    w.start();
    await settle();
    expect(w.status().state).toBe('waiting');
    expect(w.status().detail).toBe('IDLE on INBOX; UID diff');
    expect(published).toEqual([]);
    // Waiting on one mailbox costs no timer of ours: IDLE (renewed by imapflow) is all there is.
    expect(clock.timers.size).toBe(0);
    server.append('INBOX', 'new');
    await settle();
    await w.checkNow();
    expect(published.flatMap((s) => s.added.map((a) => a.title))).toEqual(['new']);
    await w.stop();
    expect(w.status().state).toBe('stopped');
    expect(clock.timers.size).toBe(0);
    expect(server.clients.every((c) => c.closed)).toBe(true);
    await w.stop(); // idempotent
  });

  it('a refused connection backs off on one timer and reconnects when it fires', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx } = testContext();
    let attempts = 0;
    const w = createImapWatcher(account(), ctx, {
      clock,
      random: () => 0,
      connect: async () => {
        attempts++;
        if (attempts < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return server.connect().asFlow();
      },
    });
    w.start();
    await settle();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'IMAP_ERR_NETWORK' } });
    expect(clock.timers.size).toBe(1);
    const first = clock.armedDelay()!;
    expect(Date.parse(w.status().retryAt!) - Date.parse(w.status().since)).toBe(first);
    clock.advance(first);
    await settle();
    expect(attempts).toBe(2);
    expect(clock.armedDelay()).toBeGreaterThanOrEqual(first);
    clock.advance(clock.armedDelay()!);
    await settle();
    expect(attempts).toBe(3);
    expect(w.status().state).toBe('waiting');
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('a refused login waits for the user (no retry, no timer); wake("manual") tries again', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx } = testContext();
    let refuse = true;
    let attempts = 0;
    const w = createImapWatcher(account(), ctx, {
      clock,
      connect: async () => {
        attempts++;
        if (refuse)
          throw Object.assign(new Error('Authentication failed.'), {
            authenticationFailed: true,
            serverResponseCode: 'AUTHENTICATIONFAILED',
          });
        return server.connect().asFlow();
      },
    });
    w.start();
    await settle();
    expect(w.status()).toMatchObject({ state: 'needs-credentials', lastError: { code: 'IMAP_ERR_AUTH' } });
    expect(clock.timers.size).toBe(0);
    await settle();
    expect(attempts).toBe(1);
    refuse = false;
    w.wake?.('manual');
    await settle();
    expect(attempts).toBe(2);
    expect(w.status().state).toBe('waiting');
    await w.stop();
  });

  it('an unreadable secret is needs-credentials too', async () => {
    const clock = new FakeClock();
    const { ctx } = testContext();
    ctx.secret = { get: async () => Promise.reject(new Error('keyring locked')) };
    const w = createImapWatcher(account(), ctx, {
      clock,
      connect: async () => Promise.reject(new Error('unused')),
    });
    w.start();
    await settle();
    expect(w.status()).toMatchObject({ state: 'needs-credentials', lastError: { code: 'IMAP_ERR_SECRET' } });
    await w.stop();
    expect(w.status().state).toBe('stopped');
  });

  it('OAuth2: a refused token is refreshed once (forceRefresh), a second refusal asks the user', async () => {
    const clock = new FakeClock();
    const { ctx } = testContext();
    const asked: boolean[] = [];
    const w = createImapWatcher(account(), ctx, {
      clock,
      tokens: {
        getAccessToken: async (o) => {
          asked.push(o?.forceRefresh === true);
          return 'token';
        },
      },
      connect: async (o) => {
        expect(o.credential).toEqual({ accessToken: 'token' });
        throw Object.assign(new Error('AUTHENTICATE failed'), { authenticationFailed: true });
      },
    });
    w.start();
    await settle();
    expect(asked).toEqual([false, true]);
    // An OAuth account has no password to fix: it is asked to sign in again.
    expect(w.status()).toMatchObject({
      state: 'needs-credentials',
      detail: `Sign in again: tidings account login ${ctx.accountId}`,
    });
    await w.stop();
  });

  it('OAuth2: a token that cannot be had (revoked refresh token) asks to sign in again, not for a password', async () => {
    const clock = new FakeClock();
    const { ctx } = testContext();
    const w = createImapWatcher(account(), ctx, {
      clock,
      tokens: {
        getAccessToken: async () => {
          throw new Error('invalid_grant');
        },
      },
      connect: async () => Promise.reject(new Error('unused')),
    });
    w.start();
    await settle();
    expect(w.status()).toMatchObject({
      state: 'needs-credentials',
      detail: `Sign in again: tidings account login ${ctx.accountId}`,
      lastError: { code: 'IMAP_ERR_SECRET' },
    });
    await w.stop();
  });

  it('an account the config cannot connect (unreadable tls.ca) is disabled with the reason', async () => {
    const clock = new FakeClock();
    const { ctx } = testContext();
    const w = createImapWatcher(account(), ctx, {
      clock,
      connect: async () => {
        throw new ImapError('IMAP_ERR_CONFIG', 'Cannot read tls.ca file /nope');
      },
    });
    w.start();
    await settle();
    expect(w.status()).toMatchObject({ state: 'disabled', detail: 'Cannot read tls.ca file /nope' });
    await w.stop();
  });

  it('a dropped connection reconnects and checks from the stored state: the mail of the gap once, nothing again', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx, published } = testContext();
    const w = createImapWatcher(account(), ctx, {
      clock,
      random: () => 0,
      connect: async () => server.connect().asFlow(),
    });
    w.start();
    await settle();
    server.append('INBOX', 'before the drop');
    await settle();
    server.clients[0]!.close();
    await settle();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'IMAP_ERR_BYE' } });
    server.append('INBOX', 'in the gap');
    clock.advance(clock.armedDelay()!);
    await settle();
    expect(w.status().state).toBe('waiting');
    await w.checkNow();
    expect(published.flatMap((s) => s.added.map((a) => a.title))).toEqual(['before the drop', 'in the gap']);
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('a command the server never answers ends the session at the step deadline, and the next one resumes', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx, published } = testContext();
    const w = createImapWatcher(account(), ctx, {
      clock,
      random: () => 0,
      connect: async () => server.connect().asFlow(),
    });
    w.start();
    await settle();
    expect(w.status().state).toBe('waiting');
    server.stall = true;
    server.append('INBOX', 'stuck behind a stall');
    await settle();
    expect(clock.armedDelay()).toBe(STEP_DEADLINE_MS);
    clock.advance(STEP_DEADLINE_MS);
    await settle();
    expect(server.clients[0]!.closed).toBe(true);
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'IMAP_ERR_TIMEOUT' } });
    server.stall = false;
    clock.advance(clock.armedDelay()!);
    await settle();
    await w.checkNow();
    expect(published.flatMap((s) => s.added.map((a) => a.title))).toEqual(['stuck behind a stall']);
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('wake("network") drops the connection and connects again at once, without back-off', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx, statuses } = testContext();
    const w = createImapWatcher(account(), ctx, { clock, connect: async () => server.connect().asFlow() });
    w.start();
    await settle();
    expect(w.status().state).toBe('waiting');
    w.wake?.('network');
    await settle();
    expect(server.clients).toHaveLength(2);
    expect(server.clients[0]!.closed).toBe(true);
    expect(w.status().state).toBe('waiting');
    expect(statuses.some((s) => s.state === 'backing-off')).toBe(false);
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('without NOTIFY the other mailboxes are asked with STATUS every statusInterval', async () => {
    const server = new FakeServer();
    server.boxes.set('Lists', { uidValidity: 5, uidNext: 1, msgs: new Map() });
    const clock = new FakeClock();
    const { ctx, published } = testContext();
    const w = createImapWatcher(account({ mailboxes: ['INBOX', 'Lists'], statusInterval: 60 }), ctx, {
      clock,
      connect: async () => server.connect().asFlow(),
    });
    w.start();
    await settle();
    expect(w.status().detail).toBe('IDLE on INBOX, STATUS of 1 more; UID diff');
    expect(clock.armedDelay()).toBe(60_000);
    server.append('Lists', 'list post');
    await settle();
    expect(published).toEqual([]);
    const before = server.log.filter((l) => l === 'STATUS Lists').length;
    clock.advance(60_000);
    await settle();
    expect(server.log.filter((l) => l === 'STATUS Lists').length).toBe(before + 1);
    expect(published.flatMap((s) => s.added.map((a) => a.title))).toEqual(['list post']);
    expect(published[0]!.folder).toEqual({ id: 'Lists', name: 'Lists' });
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('check() (tidings check) asks every watched mailbox at once, not at the next statusInterval', async () => {
    const server = new FakeServer();
    server.boxes.set('Lists', { uidValidity: 5, uidNext: 1, msgs: new Map() });
    const clock = new FakeClock();
    const { ctx, published } = testContext();
    const w = createImapWatcher(account({ mailboxes: ['INBOX', 'Lists'], statusInterval: 600 }), ctx, {
      clock,
      connect: async () => server.connect().asFlow(),
    });
    w.start();
    await w.check();
    expect(w.status().state).toBe('waiting');
    server.append('Lists', 'list post');
    const before = server.log.filter((l) => l === 'STATUS Lists').length;
    await w.check();
    expect(server.log.filter((l) => l === 'STATUS Lists').length).toBe(before + 1);
    expect(published.flatMap((s) => s.added.map((a) => a.title))).toEqual(['list post']);
    expect(clock.armedDelay()).toBe(600_000);
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('check() asked while the connection is being made resolves once it is waiting', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx } = testContext();
    let open: (() => void) | undefined;
    const w = createImapWatcher(account(), ctx, {
      clock,
      connect: async () => {
        await new Promise<void>((r) => {
          open = r;
        });
        return server.connect().asFlow();
      },
    });
    w.start();
    await settle();
    expect(open).toBeDefined();
    let done = false;
    const checked = w.check().then(() => {
      done = true;
    });
    await settle();
    expect(done).toBe(false);
    open!();
    await checked;
    expect(w.status().state).toBe('waiting');
    await w.stop();
    expect(clock.timers.size).toBe(0);
  });

  it('mail that arrives \\Seen enters the state without a signal', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const { ctx, published, store } = testContext();
    const w = createImapWatcher(account(), ctx, { clock, connect: async () => server.connect().asFlow() });
    w.start();
    await settle();
    server.append('INBOX', 'read elsewhere', ['\\Seen']);
    await settle();
    await w.checkNow();
    expect(published).toEqual([]);
    expect(store.get<{ uids: string }>('acct', 'imap:mb:INBOX')?.uids).toBe('1');
    await w.stop();
  });
});
