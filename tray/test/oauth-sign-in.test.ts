import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeRequest, runLoopbackSignIn, signInWithOAuth } from '../src/main/oauth-sign-in';

const settings = {
  clientId: 'client-123',
  tenant: 'contoso.onmicrosoft.com',
  scope: 'https://outlook.office.com/EAS.AccessAsUser.All offline_access',
};

describe('authorization request', () => {
  it('uses PKCE S256 and a loopback redirect on 127.0.0.1', () => {
    let n = 0;
    const req = authorizeRequest(settings, 49152, (size) => Buffer.alloc(size, ++n));
    const url = new URL(req.url);
    expect(url.origin + url.pathname).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
    );
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:49152/');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toBe(
      createHash('sha256').update(req.verifier).digest('base64url'),
    );
    expect(url.searchParams.get('state')).toBe(req.state);
    expect(url.searchParams.get('scope')).toBe(settings.scope);
    expect(req.tokenUrl).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(
      authorizeRequest({ ...settings, authority: 'https://login.microsoftonline.us/x/' }, 1).tokenUrl,
    ).toBe('https://login.microsoftonline.us/x/oauth2/v2.0/token');
  });
});

describe('loopback sign-in', () => {
  let provider: Server | undefined;
  afterEach(async () => {
    provider?.closeAllConnections();
    await new Promise<void>((r) => (provider ? provider.close(() => r()) : r()));
    provider = undefined;
  });

  /** A token endpoint on 127.0.0.1 that checks the PKCE verifier like the real one. */
  async function tokenEndpoint(answer: (form: URLSearchParams) => [number, object]): Promise<string> {
    provider = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const [status, json] = answer(new URLSearchParams(body));
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => provider!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(provider.address() as AddressInfo).port}/tenant`;
  }

  /** Plays the user's browser: follows the authorize URL back to the redirect with a code. */
  function browser(code: string | undefined, extra: Record<string, string> = {}) {
    const seen: { challenge?: string } = {};
    const open = async (url: string) => {
      const u = new URL(url);
      seen.challenge = u.searchParams.get('code_challenge') ?? undefined;
      const back = new URL(u.searchParams.get('redirect_uri')!);
      // A stray request first (the browser's favicon): it must not end the sign-in.
      await fetch(new URL('/favicon.ico', back));
      back.search = new URLSearchParams({
        ...(code ? { code } : {}),
        state: u.searchParams.get('state')!,
        ...extra,
      }).toString();
      const page = await fetch(back);
      expect(page.status).toBe(200);
    };
    return { open, seen };
  }

  it('redeems the code with the verifier and returns the refresh token', async () => {
    const b = browser('the-code');
    const authority = await tokenEndpoint((form) => {
      const verifierOk =
        createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url') === b.seen.challenge;
      if (form.get('code') !== 'the-code' || !verifierOk || form.get('grant_type') !== 'authorization_code') {
        return [400, { error: 'invalid_grant' }];
      }
      return [200, { access_token: 'at', refresh_token: 'rt-1', expires_in: 3600 }];
    });
    await expect(runLoopbackSignIn({ ...settings, authority }, b.open)).resolves.toBe('rt-1');
  });

  it("reports the provider's refusal with its words", async () => {
    const authority = await tokenEndpoint(() => [
      400,
      { error: 'invalid_grant', error_description: 'AADSTS70008: expired' },
    ]);
    await expect(runLoopbackSignIn({ ...settings, authority }, browser('old').open)).rejects.toMatchObject({
      code: 'TRAY_ERR_SIGN_IN',
      message: expect.stringContaining('AADSTS70008'),
    });
  });

  it('reports a sign-in the user cancelled in the browser', async () => {
    const authority = await tokenEndpoint(() => [500, {}]);
    const cancelled = browser(undefined, { error: 'access_denied', error_description: 'the user declined' });
    await expect(runLoopbackSignIn({ ...settings, authority }, cancelled.open)).rejects.toMatchObject({
      code: 'TRAY_ERR_SIGN_IN',
      message: 'sign-in failed: the user declined',
    });
  });

  it('signs an IMAP account with Microsoft 365 in with its IMAP scope; the token goes to the daemon (issue 17)', async () => {
    const b = browser('imap-code');
    let scope: string | null = null;
    const authority = await tokenEndpoint((form) => {
      scope = form.get('scope');
      return [200, { access_token: 'at', refresh_token: 'rt-imap', expires_in: 3600 }];
    });
    const dir = await mkdtemp(join(tmpdir(), 'tidings-oauth-'));
    try {
      const configPath = join(dir, 'config.json');
      const imap = {
        id: 'm365',
        kind: 'imap',
        host: 'outlook.office365.com',
        username: 'me@contoso.com',
        oauth2: { clientId: 'client-123', authority },
      };
      const plain = { id: 'home', kind: 'imap', host: 'imap.example.org', username: 'me' };
      await writeFile(configPath, JSON.stringify({ accounts: [imap, plain] }), { mode: 0o600 });
      const calls: unknown[] = [];
      const daemon = {
        call: async (method: string, params: unknown) => {
          calls.push([method, params]);
          return (method === 'status' ? { configPath } : { ok: true }) as never;
        },
      };
      await signInWithOAuth('m365', daemon, b.open);
      expect(scope).toBe('https://outlook.office.com/IMAP.AccessAsUser.All offline_access');
      expect(calls).toContainEqual(['accounts.setSecret', { id: 'm365', secret: 'rt-imap' }]);
      // A password account is refused before any browser opens.
      await expect(signInWithOAuth('home', daemon, b.open)).rejects.toMatchObject({
        code: 'TRAY_ERR_INVALID_INPUT',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
