import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { type DeviceCodePrompt, nextPollInterval, signInWithDeviceCode } from '../../src/oauth/device-code';
import { OAuthError } from '../../src/oauth/errors';

let server: OAuthServer;
beforeEach(async () => {
  server = await startOAuthServer({ deviceInterval: 1, deviceExpiresIn: 600 });
});
afterEach(async () => {
  await server.close();
});

async function rejection(p: Promise<unknown>): Promise<OAuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OAuthError);
  return err as OAuthError;
}

/** Records each wait instead of waiting, so no test depends on the clock. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const base = () => ({ authority: server.authority, clientId: server.idp.clientId });

describe('signInWithDeviceCode (RFC 8628)', () => {
  it('shows the code, polls at the interval, slows down by 5 s on slow_down, and returns tokens', async () => {
    server.idp.deviceScript = ['authorization_pending', 'slow_down', 'authorization_pending'];
    const { waits, sleep } = recordingSleep();
    const prompts: DeviceCodePrompt[] = [];
    const tokens = await signInWithDeviceCode({
      ...base(),
      sleep,
      onPrompt: (p) => {
        prompts.push(p);
        server.idp.decideDevice(p.userCode, 'approved');
      },
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatchObject({
      verificationUri: expect.stringMatching(/\/devicelogin$/),
      expiresIn: 600,
    });
    expect(prompts[0]!.message).toContain(prompts[0]!.userCode);
    expect(prompts[0]).not.toHaveProperty('deviceCode');
    expect(waits).toEqual([1000, 1000, 6000, 6000]);
    expect(server.idp.counts.devicePoll).toBe(4);
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
    expect(tokens.refreshToken).toMatch(/^rt-/);
  });

  it('keeps polling while authorization is pending', async () => {
    const { waits, sleep } = recordingSleep();
    let code = '';
    const tokens = await signInWithDeviceCode({
      ...base(),
      onPrompt: (p) => {
        code = p.userCode;
      },
      sleep: async (ms) => {
        await sleep(ms);
        if (waits.length === 5) server.idp.decideDevice(code, 'approved');
      },
    });
    expect(server.idp.counts.devicePoll).toBe(5);
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
  });

  it('ends on access_denied and expired_token with their codes', async () => {
    const { sleep } = recordingSleep();
    const denied = await rejection(
      signInWithDeviceCode({
        ...base(),
        sleep,
        onPrompt: (p) => server.idp.decideDevice(p.userCode, 'denied'),
      }),
    );
    expect(denied).toMatchObject({ code: 'EAS_ERR_OAUTH_ACCESS_DENIED', oauthError: 'access_denied' });
    const expired = await rejection(
      signInWithDeviceCode({
        ...base(),
        sleep,
        onPrompt: (p) => server.idp.decideDevice(p.userCode, 'expired'),
      }),
    );
    expect(expired.code).toBe('EAS_ERR_OAUTH_EXPIRED_TOKEN');
  });

  it('stops polling once the code has expired locally', async () => {
    let now = 0;
    const err = await rejection(
      signInWithDeviceCode({
        ...base(),
        clock: () => now,
        onPrompt: () => {},
        sleep: async (ms) => {
          now += ms * 200;
        },
      }),
    );
    expect(err.code).toBe('EAS_ERR_OAUTH_EXPIRED_TOKEN');
    expect(server.idp.counts.devicePoll).toBe(2);
  });

  it('stops when aborted during a wait', async () => {
    const ac = new AbortController();
    const err = await rejection(
      signInWithDeviceCode({ ...base(), signal: ac.signal, onPrompt: () => ac.abort() }),
    );
    expect(err.code).toBe('EAS_ERR_OAUTH_ABORTED');
    expect(server.idp.counts.devicePoll).toBe(0);
  });

  it('passes a configuration error from /devicecode straight through', async () => {
    const err = await rejection(
      signInWithDeviceCode({ authority: server.authority, clientId: 'unknown', onPrompt: () => {} }),
    );
    expect(err).toMatchObject({ code: 'EAS_ERR_OAUTH_SERVER', oauthError: 'invalid_client' });
  });
});

describe('nextPollInterval', () => {
  it('keeps the interval when pending, adds 5 s on slow_down, rethrows anything else', () => {
    const e = (oauthError: string) => new OAuthError('EAS_ERR_OAUTH_SERVER', oauthError, { oauthError });
    expect(nextPollInterval(5000, e('authorization_pending'))).toBe(5000);
    expect(nextPollInterval(5000, e('slow_down'))).toBe(10_000);
    expect(() => nextPollInterval(5000, e('invalid_grant'))).toThrow('invalid_grant');
  });
});
