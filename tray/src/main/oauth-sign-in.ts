import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../daemon/src/config/load';
import type { IpcMethods } from '../../../daemon/src/ipc/protocol';
import { TrayError } from '../errors';

/** The OAuth2 settings of an Exchange or IMAP account (daemon/src/config/account.ts). */
export interface OAuthSettings {
  clientId: string;
  tenant: string;
  authority?: string;
  scope: string;
}

/** A pending authorization: the URL to open and what the callback must prove. */
export interface AuthorizeRequest {
  url: string;
  state: string;
  verifier: string;
  redirectUri: string;
  tokenUrl: string;
}

const base64url = (b: Buffer) => b.toString('base64url');

/** How long the loopback listener waits for the browser before giving up. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

/**
 * The Microsoft identity platform authorization-code request with PKCE (RFC 7636, S256) and a
 * loopback redirect (RFC 8252 §7.3: an IP literal, any port, so no port needs registering).
 * `authority` replaces `https://login.microsoftonline.com/<tenant>` (sovereign clouds, tests).
 */
export function authorizeRequest(o: OAuthSettings, port: number, random = randomBytes): AuthorizeRequest {
  const authority = (
    o.authority ?? `https://login.microsoftonline.com/${encodeURIComponent(o.tenant)}`
  ).replace(/\/+$/, '');
  const verifier = base64url(random(32));
  const state = base64url(random(16));
  const redirectUri = `http://127.0.0.1:${port}/`;
  const url = new URL(`${authority}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    response_mode: 'query',
    scope: o.scope,
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    prompt: 'select_account',
  }).toString();
  return { url: url.href, state, verifier, redirectUri, tokenUrl: `${authority}/oauth2/v2.0/token` };
}

const PAGE = (text: string) =>
  `<!doctype html><meta charset="utf-8"><title>Tidings</title><p style="font:16px system-ui;margin:3em">${text}</p>`;

/** Waits for the one redirect carrying `code` and our `state` on the loopback listener. */
function awaitRedirect(server: Server, expectedState: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.on('request', (req, res) => {
      const q = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
      if (q.get('state') !== expectedState) {
        // Not our redirect (a favicon request, a stray tab): answer and keep waiting.
        res
          .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
          .end(PAGE('This page is not part of a Tidings sign-in.'));
        return;
      }
      const code = q.get('code');
      if (!code) {
        const why = q.get('error_description') ?? q.get('error') ?? 'no code in the answer';
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(PAGE('Sign-in failed. You can close this tab.'));
        reject(new TrayError('TRAY_ERR_SIGN_IN', `sign-in failed: ${why}`));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(PAGE('Signed in. You can close this tab and return to Tidings.'));
      resolve(code);
    });
  });
}

/** Redeems the code for tokens; returns the refresh token, the only part worth keeping. */
async function redeem(req: AuthorizeRequest, o: OAuthSettings, code: string): Promise<string> {
  const res = await fetch(req.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: o.clientId,
      grant_type: 'authorization_code',
      code,
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
      scope: o.scope,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    refresh_token?: string;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || typeof body.refresh_token !== 'string') {
    // error_description is the provider's words (AADSTS codes), never a token.
    throw new TrayError(
      'TRAY_ERR_SIGN_IN',
      `the sign-in server refused the code: ${body.error_description ?? body.error ?? `HTTP ${res.status}`}`,
    );
  }
  return body.refresh_token;
}

/**
 * Runs one sign-in: listens on 127.0.0.1, opens the provider's page in the system browser
 * (never in an Electron window, where the app could read the password — RFC 8252 §8.12),
 * redeems the code and returns the refresh token.
 */
export async function runLoopbackSignIn(
  o: OAuthSettings,
  openBrowser: (url: string) => Promise<void>,
): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TrayError('TRAY_ERR_SIGN_IN', 'sign-in was not completed within 5 minutes')),
      SIGN_IN_TIMEOUT_MS,
    );
  });
  try {
    const req = authorizeRequest(o, (server.address() as AddressInfo).port);
    const code = Promise.race([awaitRedirect(server, req.state), timeout]);
    // The redirect can fail while openBrowser is still pending; it is awaited below, so mark it handled.
    code.catch(() => {});
    await openBrowser(req.url);
    return await redeem(req, o, await code);
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The daemon calls the tray needs for a sign-in. */
export interface SignInDaemon {
  call<M extends 'status' | 'accounts.setSecret'>(
    method: M,
    params: IpcMethods[M]['params'],
  ): Promise<IpcMethods[M]['result']>;
}

/**
 * Signs an Exchange Online or Microsoft 365 IMAP account in. The account's OAuth settings are read from the daemon's
 * own config file (its path comes from `status`); the refresh token goes straight to the daemon,
 * which keeps it in the OS keyring — the tray does not store it.
 */
export async function signInWithOAuth(
  accountId: string,
  daemon: SignInDaemon,
  openBrowser: (url: string) => Promise<void>,
): Promise<void> {
  const { configPath } = await daemon.call('status', {});
  const account = (await loadConfig(configPath)).accounts.find((a) => a.id === accountId);
  if (!account) throw new TrayError('TRAY_ERR_INVALID_INPUT', `no account "${accountId}"`, { field: 'id' });
  // Exchange keeps its OAuth settings in `auth`, IMAP (XOAUTH2, Microsoft 365) in `oauth2`; the
  // daemon stores the refresh token where each one's watcher reads it (`<id>:oauth-refresh`).
  const settings =
    account.kind === 'exchange' && account.auth.type === 'oauth2'
      ? account.auth
      : account.kind === 'imap'
        ? account.oauth2
        : undefined;
  if (!settings) {
    throw new TrayError('TRAY_ERR_INVALID_INPUT', `account "${accountId}" does not use OAuth sign-in`, {
      field: 'id',
    });
  }
  const refreshToken = await runLoopbackSignIn(settings, openBrowser);
  await daemon.call('accounts.setSecret', { id: accountId, secret: refreshToken });
}
