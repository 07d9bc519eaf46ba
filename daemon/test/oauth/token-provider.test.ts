import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { OAuthError } from '../../src/oauth/errors';
import { createOAuthTokenProvider } from '../../src/oauth/token-provider';
import type { SecretSource } from '../../src/secrets/types';
import { capturedLogger } from '../eas-autodiscover/helpers';

/** An in-memory SecretSource that records every write, as the keyring would store them. */
function memorySecret(initial: string): SecretSource & { value: string; writes: string[] } {
  const s = {
    value: initial,
    writes: [] as string[],
    async get() {
      return s.value;
    },
    async set(v: string) {
      s.writes.push(v);
      s.value = v;
    },
  };
  return s;
}

async function rejection(p: Promise<unknown>): Promise<OAuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OAuthError);
  return err as OAuthError;
}

let server: OAuthServer;
beforeEach(async () => {
  server = await startOAuthServer({ accessTokenTtl: 3600 });
});
afterEach(async () => {
  await server.close();
});

function provider(secret: SecretSource, over: { clock?: () => number } = {}) {
  return createOAuthTokenProvider({
    authority: server.authority,
    clientId: server.idp.clientId,
    refreshToken: secret,
    ...over,
  });
}

describe('createOAuthTokenProvider', () => {
  it('refreshes once and serves the cached token until shortly before expiry', async () => {
    let now = 1_000_000;
    const p = provider(memorySecret(server.idp.issueRefreshToken()), { clock: () => now });
    const first = await p.getAccessToken();
    expect(server.idp.isValidAccessToken(first)).toBe(true);
    now += 3600_000 - 5 * 60_000 - 1;
    expect(await p.getAccessToken()).toBe(first);
    expect(server.idp.counts.refreshToken).toBe(1);
    now += 1;
    const second = await p.getAccessToken();
    expect(second).not.toBe(first);
    expect(server.idp.counts.refreshToken).toBe(2);
  });

  it('sends one refresh for ten concurrent callers, forced or not', async () => {
    const p = provider(memorySecret(server.idp.issueRefreshToken()));
    const release = server.holdTokens();
    const calls = Array.from({ length: 10 }, (_, i) =>
      p.getAccessToken(i % 2 ? { forceRefresh: true } : undefined),
    );
    // Let every request that would be sent reach the server before it answers.
    await new Promise((r) => setImmediate(r));
    release();
    const tokens = await Promise.all(calls);
    expect(new Set(tokens).size).toBe(1);
    expect(server.idp.isValidAccessToken(tokens[0]!)).toBe(true);
    expect(server.idp.counts.refreshToken).toBe(1);
  });

  it('persists each rotated refresh token through SecretSource.set and uses it next', async () => {
    const initial = server.idp.issueRefreshToken();
    const secret = memorySecret(initial);
    const p = provider(secret);
    await p.getAccessToken();
    expect(secret.writes).toHaveLength(1);
    expect(secret.value).not.toBe(initial);
    // The server detects reuse of rotated tokens, so a second refresh succeeds only with the new one.
    await p.getAccessToken({ forceRefresh: true });
    expect(secret.writes).toHaveLength(2);
    // A restarted daemon reads the stored token and carries on.
    const restarted = provider(memorySecret(secret.value));
    expect(server.idp.isValidAccessToken(await restarted.getAccessToken())).toBe(true);
  });

  it('turns invalid_grant into EAS_ERR_OAUTH_INVALID_GRANT (needs-credentials), then picks up a new sign-in', async () => {
    const secret = memorySecret(server.idp.issueRefreshToken());
    const p = provider(secret);
    await p.getAccessToken();
    server.idp.revokeAll();
    const err = await rejection(p.getAccessToken({ forceRefresh: true }));
    expect(err.code).toBe('EAS_ERR_OAUTH_INVALID_GRANT');
    expect(err.needsCredentials).toBe(true);
    expect(err.message).toMatch(/^token endpoint: invalid_grant \(AADSTS70000/);
    // The person signs in again; the new token lands in the secret store.
    secret.value = server.idp.issueRefreshToken();
    expect(server.idp.isValidAccessToken(await p.getAccessToken())).toBe(true);
  });

  it('reports reuse of a rotated refresh token as invalid_grant', async () => {
    const initial = server.idp.issueRefreshToken();
    await provider(memorySecret(initial)).getAccessToken();
    // A second copy still holding the old token (a backup restored, a failed write): the family dies.
    const err = await rejection(provider(memorySecret(initial)).getAccessToken());
    expect(err.code).toBe('EAS_ERR_OAUTH_INVALID_GRANT');
    expect(err.message).toMatch(/reuse detected/);
  });

  it('types network failures and 5xx as transient EAS_ERR_OAUTH_NETWORK', async () => {
    const p = provider(memorySecret(server.idp.issueRefreshToken()));
    server.idp.failures.push({ status: 503, body: 'busy' });
    const busy = await rejection(p.getAccessToken());
    expect(busy).toMatchObject({ code: 'EAS_ERR_OAUTH_NETWORK', status: 503, transient: true });
    const authority = server.authority;
    await server.close();
    const down = createOAuthTokenProvider({
      authority,
      clientId: 'c',
      refreshToken: memorySecret('rt'),
    });
    const err = await rejection(down.getAccessToken());
    expect(err.code).toBe('EAS_ERR_OAUTH_NETWORK');
    expect(err.message).toBe(`cannot reach ${new URL(authority).origin} (ECONNREFUSED)`);
    server = await startOAuthServer();
  });

  it('says sign in first when no refresh token is stored', async () => {
    const err = await rejection(provider(memorySecret('')).getAccessToken());
    expect(err).toMatchObject({ code: 'EAS_ERR_OAUTH_NO_REFRESH_TOKEN', needsCredentials: true });
    expect(server.idp.counts.refreshToken).toBe(0);
  });

  it('keeps working in memory when the rotated token cannot be stored, and says so in the log', async () => {
    const { log, text } = capturedLogger();
    const rt = server.idp.issueRefreshToken();
    const p = createOAuthTokenProvider({
      authority: server.authority,
      clientId: server.idp.clientId,
      log,
      refreshToken: {
        get: async () => rt,
        set: async () => {
          throw new Error('keyring locked');
        },
      },
    });
    await p.getAccessToken();
    expect(server.idp.isValidAccessToken(await p.getAccessToken({ forceRefresh: true }))).toBe(true);
    expect(text()).toContain('EAS_ERR_OAUTH_PERSIST');
    expect(text()).toContain('keyring locked');
  });

  it('never puts tokens in logs or errors', async () => {
    const { log, text } = capturedLogger();
    const secret = memorySecret(server.idp.issueRefreshToken());
    const initial = secret.value;
    const p = createOAuthTokenProvider({
      authority: server.authority,
      clientId: server.idp.clientId,
      refreshToken: secret,
      log,
    });
    const at = await p.getAccessToken();
    server.idp.revokeAll();
    const err = await rejection(p.getAccessToken({ forceRefresh: true }));
    const everything = `${text()}${err.message}${String(err.stack)}${JSON.stringify(err)}`;
    expect(text()).toContain('oauth refresh failed');
    for (const secretValue of [initial, secret.value, at]) expect(everything).not.toContain(secretValue);
  });

  it('refuses a cleartext authority that is not loopback, naming the field', () => {
    expect(() =>
      createOAuthTokenProvider({
        authority: 'http://login.example.com/t/oauth2/v2.0',
        clientId: 'c',
        refreshToken: memorySecret('x'),
      }),
    ).toThrowError(expect.objectContaining({ code: 'EAS_ERR_OAUTH_INSECURE_ENDPOINT' }));
  });
});
