/**
 * The tray's sign-in runs the daemon's OAuth code (daemon/src/oauth) against the fake identity
 * provider on 127.0.0.1 — Entra and Google flavours, both checking the PKCE verifier — and hands
 * the refresh token to the daemon.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type OAuthServer, startOAuthServer } from '../../fixtures/src/oauth-server';
import { runLoopbackSignIn, signInWithOAuth } from '../src/main/oauth-sign-in';

const servers: OAuthServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function idp(opts: Parameters<typeof startOAuthServer>[0] = {}): Promise<OAuthServer> {
  const s = await startOAuthServer(opts);
  servers.push(s);
  return s;
}

/** Plays the user's browser: the provider's page, then the redirect back to the loopback. */
function browser(server: OAuthServer, opts: { forgeState?: string } = {}) {
  const urls: string[] = [];
  const pages: Promise<{ status: number; text: string }>[] = [];
  return {
    urls,
    pages,
    open: async (url: string) => {
      urls.push(url);
      pages.push(server.browser(url, opts));
    },
  };
}

async function configWith(accounts: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidings-oauth-'));
  dirs.push(dir);
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ accounts }), { mode: 0o600 });
  return configPath;
}

function daemonFor(configPath: string) {
  const calls: unknown[] = [];
  return {
    calls,
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      return (method === 'status' ? { configPath } : { ok: true }) as never;
    },
  };
}

describe('loopback sign-in (Microsoft)', () => {
  it('redeems the code with the verifier and returns the refresh token', async () => {
    const s = await idp();
    const b = browser(s);
    const rt = await runLoopbackSignIn(
      { provider: 'microsoft', clientId: s.idp.clientId, authority: s.authority, use: 'eas' },
      b.open,
    );
    expect(rt).toMatch(/^rt-/);
    const q = new URL(b.urls[0]!).searchParams;
    expect(q.get('prompt')).toBe('select_account');
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(s.idp.counts.authorizationCode).toBe(1);
  });

  it('reports a sign-in the user declined with the provider\u2019s words', async () => {
    const s = await idp();
    s.idp.decision = 'deny';
    await expect(
      runLoopbackSignIn(
        { provider: 'microsoft', clientId: s.idp.clientId, authority: s.authority, use: 'eas' },
        browser(s).open,
      ),
    ).rejects.toMatchObject({
      code: 'TRAY_ERR_SIGN_IN',
      message: expect.stringContaining('The user declined'),
    });
  });

  it('ignores a redirect carrying a foreign state', async () => {
    const s = await idp();
    await expect(
      runLoopbackSignIn(
        { provider: 'microsoft', clientId: s.idp.clientId, authority: s.authority, use: 'eas' },
        browser(s, { forgeState: 'forged' }).open,
      ),
    ).rejects.toMatchObject({ code: 'TRAY_ERR_SIGN_IN', message: expect.stringContaining('foreign state') });
    expect(s.idp.counts.authorizationCode).toBe(0);
  });

  it('signs an IMAP account with Microsoft 365 in with its IMAP scope; the token goes to the daemon (issue 17)', async () => {
    const s = await idp();
    const configPath = await configWith([
      {
        id: 'm365',
        kind: 'imap',
        host: 'outlook.office365.com',
        username: 'me@contoso.com',
        oauth2: { clientId: s.idp.clientId, authority: s.authority },
      },
      { id: 'home', kind: 'imap', host: 'imap.example.org', username: 'me' },
    ]);
    const daemon = daemonFor(configPath);
    const b = browser(s);
    await signInWithOAuth('m365', daemon, b.open);
    expect(new URL(b.urls[0]!).searchParams.get('scope')).toBe(
      'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    );
    const set = daemon.calls.find((c) => (c as unknown[])[0] === 'accounts.setSecret') as [
      string,
      { id: string; secret: string },
    ];
    expect(set[1].id).toBe('m365');
    expect(set[1].secret).toMatch(/^rt-/);
    // A password account is refused before any browser opens.
    await expect(signInWithOAuth('home', daemon, b.open)).rejects.toMatchObject({
      code: 'TRAY_ERR_INVALID_INPUT',
    });
    expect(b.urls).toHaveLength(1);
  });
});

describe('a JMAP account with its own OAuth authority', () => {
  it('signs in at the authority with the configured scope; the token goes to the daemon', async () => {
    const s = await idp();
    const configPath = await configWith([
      {
        id: 'jm',
        kind: 'jmap',
        url: 'https://jmap.example.org',
        username: 'me',
        auth: {
          type: 'oauth2',
          clientId: s.idp.clientId,
          authority: s.authority,
          scope: 'urn:ietf:params:jmap:mail offline_access',
        },
      },
    ]);
    const daemon = daemonFor(configPath);
    const b = browser(s);
    await signInWithOAuth('jm', daemon, b.open);
    expect(new URL(b.urls[0]!).searchParams.get('scope')).toBe('urn:ietf:params:jmap:mail offline_access');
    expect(daemon.calls).toContainEqual([
      'accounts.setSecret',
      { id: 'jm', secret: expect.stringMatching(/^rt-/) },
    ]);
  });
});

describe('Sign in with Google (Gmail IMAP, issue 17)', () => {
  it('signs a Gmail account in: provider from the host, client secret from the config, refresh token to the daemon', async () => {
    const s = await idp({ flavour: 'google', clientSecret: 'GOCSPX-tray' });
    const configPath = await configWith([
      {
        id: 'gmail',
        kind: 'imap',
        host: 'imap.gmail.com',
        username: 'me@gmail.com',
        oauth2: { clientId: s.idp.clientId, clientSecret: 'GOCSPX-tray', authority: s.authority },
      },
    ]);
    const daemon = daemonFor(configPath);
    const b = browser(s);
    await signInWithOAuth('gmail', daemon, b.open);
    const url = new URL(b.urls[0]!);
    expect(url.pathname).toBe('/o/oauth2/v2/auth');
    expect(url.searchParams.get('scope')).toBe('https://mail.google.com/');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(daemon.calls).toContainEqual([
      'accounts.setSecret',
      { id: 'gmail', secret: expect.stringMatching(/^rt-/) },
    ]);
    expect((await b.pages[0]!).status).toBe(200);
  });

  it('says a Google account needs its client secret, before any browser opens', async () => {
    const s = await idp({ flavour: 'google' });
    const configPath = await configWith([
      {
        id: 'gmail',
        kind: 'imap',
        host: 'imap.gmail.com',
        username: 'me@gmail.com',
        oauth2: { clientId: s.idp.clientId, authority: s.authority },
      },
    ]);
    const b = browser(s);
    const saved = process.env.TIDINGS_GOOGLE_CLIENT_SECRET;
    delete process.env.TIDINGS_GOOGLE_CLIENT_SECRET;
    try {
      await expect(signInWithOAuth('gmail', daemonFor(configPath), b.open)).rejects.toMatchObject({
        code: 'TRAY_ERR_SIGN_IN',
        message: expect.stringContaining('client secret'),
      });
    } finally {
      if (saved !== undefined) process.env.TIDINGS_GOOGLE_CLIENT_SECRET = saved;
    }
    expect(b.urls).toHaveLength(0);
  });
});
