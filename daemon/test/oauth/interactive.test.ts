import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import { OAuthError } from '../../src/oauth/errors';
import { signInInteractive } from '../../src/oauth/interactive';

let server: OAuthServer;
beforeEach(async () => {
  server = await startOAuthServer();
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

/** The person's browser runs on its own; the flow must not wait for it. */
function browser(opts: { forgeState?: string } = {}) {
  const visits: { url: string; page: Promise<{ status: number; text: string }> }[] = [];
  return {
    visits,
    open: async (url: string) => {
      visits.push({ url, page: server.browser(url, opts) });
    },
  };
}

const base = () => ({ authority: server.authority, clientId: server.idp.clientId });

describe('signInInteractive (authorization code + PKCE, loopback redirect)', () => {
  it('signs in through the browser and returns working tokens', async () => {
    const b = browser();
    const shown: string[] = [];
    const tokens = await signInInteractive({ ...base(), openBrowser: b.open, onUrl: (u) => shown.push(u) });
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
    expect(tokens.refreshToken).toMatch(/^rt-/);
    expect(b.visits).toHaveLength(1);
    expect(shown).toEqual([b.visits[0]!.url]);
    const q = new URL(b.visits[0]!.url).searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('scope')).toBe('https://outlook.office.com/EAS.AccessAsUser.All offline_access');
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await b.visits[0]!.page;
    expect(page.status).toBe(200);
    expect(page.text).toContain('You can close this window');
    // The server only issues tokens when SHA-256(verifier) equals the challenge it saw.
    expect(server.idp.counts.authorizationCode).toBe(1);
  });

  it('can name localhost in the redirect URI for registrations that list only http://localhost', async () => {
    const b = browser();
    const tokens = await signInInteractive({ ...base(), openBrowser: b.open, redirectHost: 'localhost' });
    expect(new URL(b.visits[0]!.url).searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/$/);
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
  });

  it('rejects a redirect carrying a foreign state and never redeems the code', async () => {
    const b = browser({ forgeState: 'attacker-state' });
    const err = await rejection(signInInteractive({ ...base(), openBrowser: b.open }));
    expect(err.code).toBe('EAS_ERR_OAUTH_STATE_MISMATCH');
    expect(server.idp.counts.authorizationCode).toBe(0);
    const page = await b.visits[0]!.page;
    expect(page.status).toBe(400);
    expect(page.text).toContain('foreign state');
  });

  it('reports the person declining as EAS_ERR_OAUTH_ACCESS_DENIED', async () => {
    server.idp.decision = 'deny';
    const b = browser();
    const err = await rejection(signInInteractive({ ...base(), openBrowser: b.open }));
    expect(err).toMatchObject({ code: 'EAS_ERR_OAUTH_ACCESS_DENIED', oauthError: 'access_denied' });
    expect((await b.visits[0]!.page).status).toBe(400);
  });

  it('ignores stray requests to the loopback listener and still completes', async () => {
    const tokens = await signInInteractive({
      ...base(),
      openBrowser: async (url) => {
        const redirect = new URL(url).searchParams.get('redirect_uri')!;
        const stray = await fetch(new URL('/favicon.ico', redirect));
        expect(stray.status).toBe(404);
        const empty = await fetch(redirect);
        expect(empty.status).toBe(404);
        void server.browser(url);
      },
    });
    expect(server.idp.isValidAccessToken(tokens.accessToken)).toBe(true);
  });

  it('gives up with EAS_ERR_OAUTH_TIMEOUT when the person never finishes, and frees the port', async () => {
    let redirect = '';
    const err = await rejection(
      signInInteractive({
        ...base(),
        timeoutMs: 50,
        openBrowser: async (url) => {
          redirect = new URL(url).searchParams.get('redirect_uri')!;
        },
      }),
    );
    expect(err.code).toBe('EAS_ERR_OAUTH_TIMEOUT');
    await expect(fetch(redirect)).rejects.toThrow();
  });

  it('stops on abort and when the browser cannot be opened', async () => {
    const ac = new AbortController();
    const aborted = await rejection(
      signInInteractive({ ...base(), signal: ac.signal, openBrowser: async () => ac.abort() }),
    );
    expect(aborted.code).toBe('EAS_ERR_OAUTH_ABORTED');
    const noBrowser = await rejection(
      signInInteractive({
        ...base(),
        openBrowser: async () => {
          throw new OAuthError('EAS_ERR_OAUTH_BROWSER', 'cannot start xdg-open to open the browser');
        },
      }),
    );
    expect(noBrowser.code).toBe('EAS_ERR_OAUTH_BROWSER');
  });

  it('surfaces a failed code exchange on the page and as the error', async () => {
    server.idp.failures.push({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        error: 'invalid_client',
        error_description: 'AADSTS7000218: client_secret required',
      }),
    });
    const b = browser();
    const err = await rejection(signInInteractive({ ...base(), openBrowser: b.open }));
    expect(err).toMatchObject({ code: 'EAS_ERR_OAUTH_SERVER', oauthError: 'invalid_client' });
    expect((await b.visits[0]!.page).text).toContain('AADSTS7000218');
  });
});

describe('fixture /token PKCE verification', () => {
  it('refuses a code redeemed with the wrong verifier, and a code used twice', async () => {
    const redirect = 'http://127.0.0.1:1/';
    const auth = (challenge: string) =>
      new URL(
        server.idp.authorize(
          new URLSearchParams({
            client_id: server.idp.clientId,
            response_type: 'code',
            redirect_uri: redirect,
            state: 's',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          }),
        ).headers!.location!,
      ).searchParams.get('code')!;
    const redeem = (code: string, verifier: string) =>
      server.idp.token(
        new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: server.idp.clientId,
          code,
          redirect_uri: redirect,
          code_verifier: verifier,
        }),
      );
    // RFC 7636 Appendix B pair.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const wrong = redeem(auth(challenge), `${verifier.slice(0, -1)}A`);
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body!).error).toBe('invalid_grant');
    const code = auth(challenge);
    expect(redeem(code, verifier).status).toBe(200);
    expect(JSON.parse(redeem(code, verifier).body!).error).toBe('invalid_grant');
  });
});
