import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DavFixture, startDavFixture } from '../../../fixtures/src/dav-server';
import { type KeyringBackend, keyringSecret } from '../../src/secrets/keyring';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import { davAccount, FakeClock, testContext } from '../dav/support';
import { type Harness, harness, waitFor } from '../eas/harness';

/**
 * Issue 16, headless secrets: with no Secret Service the daemon's account status must say
 * "keyring unreachable, use --password-command / --password-env", not "not found, store it
 * with account add" (the keyring reads "none" there and fails only writes).
 */
const noSecretService: KeyringBackend = {
  get: async () => null,
  set: async () => {
    throw new Error("Couldn't access platform storage: AccessDenied GenericFailure");
  },
  delete: async () => true,
};

describe('an account whose keyring is unreachable says what to do instead', () => {
  let h: Harness | undefined;
  let dav: { fx: DavFixture; agent: Agent; watcher: DavWatcher } | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    if (dav) {
      await dav.watcher.stop();
      await dav.agent.close();
      await dav.fx.close();
      dav = undefined;
    }
  });

  it('Exchange: needs-credentials naming the flags and config forms; nothing sent without credentials', async () => {
    const secret = keyringSecret('work', 'password', noSecretService);
    h = await harness({ readSecret: () => secret.get() });
    const status = await waitFor(
      () => (h?.watcher.status().state === 'needs-credentials' ? h.watcher.status() : undefined),
      'needs-credentials',
    );
    expect(status.lastError?.code).toBe('EAS_ERR_AUTH');
    expect(status.detail).toContain('SECRET_ERR_KEYRING_UNAVAILABLE');
    expect(status.detail).toContain('--password-command');
    expect(status.detail).toContain('--password-env');
    expect(status.detail).toContain('{"command": "…"}');
    expect(status.detail).not.toContain('sign in again');
    expect(status.detail).not.toContain('tidings account add`');
    // No request carried credentials that could not be read.
    expect(h.server.requests).toEqual([]);
  });

  it('Exchange: a reachable keyring without the entry still says SECRET_ERR_NOT_FOUND', async () => {
    const entries = new Map<string, string>();
    const reachable: KeyringBackend = {
      get: async (s, a) => entries.get(`${s}/${a}`) ?? null,
      set: async (s, a, v) => {
        entries.set(`${s}/${a}`, v);
      },
      delete: async (s, a) => entries.delete(`${s}/${a}`),
    };
    const secret = keyringSecret('work', 'password', reachable);
    h = await harness({ readSecret: () => secret.get() });
    const status = await waitFor(
      () => (h?.watcher.status().state === 'needs-credentials' ? h.watcher.status() : undefined),
      'needs-credentials',
    );
    expect(status.detail).toContain('SECRET_ERR_NOT_FOUND');
    expect(status.detail).toContain('tidings account add');
  });

  it('CalDAV: needs-credentials with the same words (DAV_ERR_SECRET)', async () => {
    const fx = await startDavFixture();
    fx.data.addCollection('/cal/alice/work/', 'calendar', 'Work');
    const agent = new Agent();
    const clock = new FakeClock();
    const t = testContext();
    t.ctx.secret = keyringSecret('acct', 'password', noSecretService);
    const watcher = createDavWatcher(davAccount(fx.url, {}), t.ctx, {
      dispatcher: agent,
      clock,
      timeZone: 'UTC',
      random: () => 0.5,
    });
    dav = { fx, agent, watcher };
    watcher.start();
    await watcher.checkNow();
    const status = watcher.status();
    expect(status).toMatchObject({ state: 'needs-credentials', lastError: { code: 'DAV_ERR_SECRET' } });
    expect(status.detail).toContain('--password-command');
    expect(status.detail).toContain('{"env": "VAR"}');
    expect(fx.requests).toEqual([]);
  });
});
