/**
 * Google as an OAuth provider (issue 17: Gmail IMAP over XOAUTH2): the installed-app flow —
 * authorization code + PKCE through a loopback redirect on 127.0.0.1, a client secret at /token,
 * `access_type=offline` + `prompt=consent` for a refresh token — against the fake authority in
 * its google flavour, which checks the PKCE verifier and the client secret as Google does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { signInWithDeviceCode } from '../../src/oauth/device-code';
import { OAuthError } from '../../src/oauth/errors';
import { googleClientDefaults, isGoogleClientId } from '../../src/oauth/google-client';
import { signInInteractive } from '../../src/oauth/interactive';
import {
  GOOGLE_AUTHORIZE,
  GOOGLE_MAIL_SCOPE,
  GOOGLE_TOKEN,
  MICROSOFT_IMAP_SCOPE,
  oauthClientOf,
  providerForHost,
} from '../../src/oauth/providers';
import { createOAuthTokenProvider } from '../../src/oauth/token-provider';
import type { SecretSource } from '../../src/secrets/types';

const SECRET = 'GOCSPX-test-secret';

let server: OAuthServer;
beforeEach(async () => {
  server = await startOAuthServer({ flavour: 'google', clientSecret: SECRET });
});
afterEach(async () => {
  await server.close();
});

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

function browser(opts: { forgeState?: string } = {}) {
  const visits: { url: string; page: Promise<{ status: number; text: string }> }[] = [];
  return {
    visits,
    open: async (url: string) => {
      visits.push({ url, page: server.browser(url, opts) });
    },
  };
}

const google = () => ({
  provider: 'google' as const,
  authority: server.authority,
  clientId: server.idp.clientId,
  clientSecret: SECRET,
  use: 'imap' as const,
});

describe('Google provider settings', () => {
  it('picks google for Gmail hosts and microsoft for the rest', () => {
    expect(providerForHost('imap.gmail.com')).toBe('google');
    expect(providerForHost('IMAP.GMAIL.COM.')).toBe('google');
    expect(providerForHost('imap.googlemail.com')).toBe('google');
    expect(providerForHost('outlook.office365.com')).toBe('microsoft');
    expect(providerForHost('gmail.com.evil.example')).toBe('microsoft');
    expect(providerForHost('notgmail.com')).toBe('microsoft');
  });

  it("uses Google's endpoints and mail scope, and Entra's IMAP scope for Microsoft IMAP", () => {
    const g = oauthClientOf({ provider: 'google', clientId: 'x', clientSecret: 's' }, 'imap');
    expect([g.authorize, g.token, g.scope, g.devicecode]).toEqual([
      GOOGLE_AUTHORIZE,
      GOOGLE_TOKEN,
      GOOGLE_MAIL_SCOPE,
      undefined,
    ]);
    expect(g.authorizeParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    const m = oauthClientOf({ clientId: 'x', tenant: 'contoso.com' }, 'imap');
    expect(m.token).toBe('https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token');
    expect(m.scope).toBe(MICROSOFT_IMAP_SCOPE);
  });

  it('refuses a Google client without a secret, and a cleartext non-loopback override', () => {
    expect(() => oauthClientOf({ provider: 'google', clientId: 'x' })).toThrowError(
      expect.objectContaining({ code: 'EAS_ERR_OAUTH_CLIENT_SECRET' }),
    );
    expect(() =>
      oauthClientOf({
        provider: 'google',
        clientId: 'x',
        clientSecret: 's',
        authority: 'http://example.com',
      }),
    ).toThrowError(expect.objectContaining({ code: 'EAS_ERR_OAUTH_INSECURE_ENDPOINT' }));
  });

  it('reads the client from the environment when the build has none', () => {
    const id = '1234-abc.apps.googleusercontent.com';
    expect(
      googleClientDefaults({ TIDINGS_GOOGLE_CLIENT_ID: id, TIDINGS_GOOGLE_CLIENT_SECRET: ' s3 ' }),
    ).toEqual({ clientId: id, clientSecret: 's3' });
    expect(googleClientDefaults({ TIDINGS_GOOGLE_CLIENT_ID: 'not-a-google-id' })).toEqual({});
    expect(isGoogleClientId(id)).toBe(true);
  });
});

describe('Google sign-in through the browser (loopback + PKCE)', () => {
  it('signs in with a refresh token: offline access, consent, mail scope, the secret at /token', async () => {
    const b = browser();
    const tokens = await signInInteractive({ ...google(), openBrowser: b.open });
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
    expect(tokens.refreshToken).toMatch(/^rt-/);
    const url = new URL(b.visits[0]!.url);
    expect(url.pathname).toBe('/o/oauth2/v2/auth');
    const q = url.searchParams;
    expect(q.get('scope')).toBe(GOOGLE_MAIL_SCOPE);
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // Entra's parameter; Google has none, and the secret never travels in the URL.
    expect(q.has('response_mode')).toBe(false);
    expect(b.visits[0]!.url).not.toContain(SECRET);
    expect((await b.visits[0]!.page).status).toBe(200);
    // The fake redeems the code only when SHA-256(verifier) equals the challenge it saw.
    expect(server.idp.counts.authorizationCode).toBe(1);
  });

  it('gets a refresh token again on a second sign-in (prompt=consent)', async () => {
    await signInInteractive({ ...google(), openBrowser: browser().open });
    const again = await signInInteractive({ ...google(), openBrowser: browser().open });
    expect(again.refreshToken).toMatch(/^rt-/);
  });

  it('rejects a redirect with a foreign state without redeeming anything', async () => {
    const b = browser({ forgeState: 'forged' });
    const err = await rejection(signInInteractive({ ...google(), openBrowser: b.open }));
    expect(err.code).toBe('EAS_ERR_OAUTH_STATE_MISMATCH');
    expect(server.idp.counts.authorizationCode).toBe(0);
    expect((await b.visits[0]!.page).status).toBe(400);
  });

  it('reports a wrong client secret as the server refusing the client, without echoing the secret', async () => {
    const wrong = 'GOCSPX-wrong-one';
    const err = await rejection(
      signInInteractive({ ...google(), clientSecret: wrong, openBrowser: browser().open }),
    );
    expect(err.code).toBe('EAS_ERR_OAUTH_SERVER');
    expect(err.oauthError).toBe('invalid_client');
    expect(`${err.message}${String(err.stack)}`).not.toContain(wrong);
  });

  it('asks for the client secret before opening a browser', async () => {
    const b = browser();
    const { clientSecret: _s, ...noSecret } = google();
    const err = await rejection(signInInteractive({ ...noSecret, openBrowser: b.open }));
    expect(err.code).toBe('EAS_ERR_OAUTH_CLIENT_SECRET');
    expect(b.visits).toHaveLength(0);
  });

  it('refuses the device code for Google (its device flow has no mail scope)', async () => {
    const err = await rejection(signInWithDeviceCode({ ...google(), onPrompt: () => {} }));
    expect(err.code).toBe('EAS_ERR_OAUTH_UNSUPPORTED_FLOW');
    expect(err.message).toContain('browser');
  });
});

describe('Google refresh (token provider)', () => {
  it('refreshes with the client secret and keeps the one refresh token Google never rotates', async () => {
    const rt = server.idp.issueRefreshToken(GOOGLE_MAIL_SCOPE);
    const secret = memorySecret(rt);
    const tokens = createOAuthTokenProvider({ ...google(), refreshToken: secret });
    const first = await tokens.getAccessToken();
    expect(server.idp.isValidAccessToken(first)).toBe(true);
    const forced = await tokens.getAccessToken({ forceRefresh: true });
    expect(forced).not.toBe(first);
    expect(server.idp.counts.refreshToken).toBe(2);
    expect(secret.writes).toEqual([]);
    expect(secret.value).toBe(rt);
  });

  it('turns a revoked refresh token into invalid_grant: needs-credentials', async () => {
    const secret = memorySecret(server.idp.issueRefreshToken(GOOGLE_MAIL_SCOPE));
    const tokens = createOAuthTokenProvider({ ...google(), refreshToken: secret });
    await tokens.getAccessToken();
    server.idp.revokeAll();
    const err = await rejection(tokens.getAccessToken({ forceRefresh: true }));
    expect(err.code).toBe('EAS_ERR_OAUTH_INVALID_GRANT');
    expect(err.needsCredentials).toBe(true);
    expect(err.message).toContain('Token has been expired or revoked');
  });

  it('reports a missing client secret when a token is asked for, not when the account starts', async () => {
    const { clientSecret: _s, ...noSecret } = google();
    const tokens = createOAuthTokenProvider({ ...noSecret, refreshToken: memorySecret('rt-x') });
    const err = await rejection(tokens.getAccessToken());
    expect(err.code).toBe('EAS_ERR_OAUTH_CLIENT_SECRET');
    expect(server.idp.counts.refreshToken).toBe(0);
  });
});

describe('the client secret in logs', () => {
  it('is redacted wherever an account or a token request may carry it', async () => {
    const { capturingLog } = await import('../daemon/helpers');
    const { log, lines } = capturingLog('info');
    const account = { id: 'gmail', oauth2: { clientId: 'c', clientSecret: SECRET } };
    log.info({ account }, 'account added');
    log.info({ params: { account } }, 'accounts.add');
    log.info({ form: { client_secret: SECRET } }, 'token request');
    log.info({ oauth2: account.oauth2 }, 'settings');
    const text = lines.join('');
    expect(text).toContain('account added');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(SECRET);
  });
});
