import type { Dispatcher } from 'undici';
import { buildAuthorizeUrl, readAuthorizationResponse } from './authorization-request';
import { OAuthError } from './errors';
import { startLoopbackListener } from './loopback';
import { openSystemBrowser } from './open-browser';
import { createPkcePair, createState } from './pkce';
import { clientCredentials, type OAuthProviderId, type OAuthUse, oauthClientOf } from './providers';
import { requestTokens, type TokenSet } from './token-endpoint';

export interface InteractiveSignInOptions {
  /** Default `microsoft` (Entra ID); `google` for Gmail (oauth/providers.ts). */
  provider?: OAuthProviderId;
  /** Microsoft: v2 authority (default: tenant `common`). Google: a test base (providers.ts). */
  authority?: string;
  clientId: string;
  /** Google's desktop clients need it at /token; never logged. */
  clientSecret?: string;
  /** Default: the provider's scope for `use` (Entra EAS or IMAP; Google `https://mail.google.com/`). */
  scope?: string;
  /** Which default scope applies (default `eas`). */
  use?: OAuthUse;
  dispatcher?: Dispatcher;
  /** Opens the authorization URL; the system browser by default (xdg-open / open / url.dll). */
  openBrowser?: (url: string) => Promise<void>;
  /** Told the URL before the browser opens, so a CLI can print it for a person to open by hand. */
  onUrl?: (url: string) => void;
  /** How long the person has to finish in the browser, ms (default 5 min). */
  timeoutMs?: number;
  signal?: AbortSignal;
  loginHint?: string;
  prompt?: 'select_account' | 'login' | 'consent';
  /**
   * Host of the redirect URI. RFC 8252 §8.3 prefers the IP literal (default); an app registration
   * that lists only `http://localhost` (as MSAL's defaults do) needs 'localhost'. Entra ignores
   * the port of loopback redirect URIs either way.
   */
  redirectHost?: '127.0.0.1' | 'localhost';
  clock?: () => number;
}

/**
 * Signs in with the authorization-code grant and PKCE (RFC 6749 §4.1, RFC 7636 S256) through
 * the system browser and a loopback redirect on 127.0.0.1 (RFC 8252 §7.3). Returns the tokens;
 * the caller stores the refresh token (SecretSource.set).
 */
export async function signInInteractive(opts: InteractiveSignInOptions): Promise<TokenSet> {
  const client = oauthClientOf(opts, opts.use);
  const scope = client.scope;
  const pkce = createPkcePair();
  const state = createState();
  const listener = await startLoopbackListener(opts.redirectHost);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const url = buildAuthorizeUrl({
      authorizeUrl: client.authorize,
      clientId: client.clientId,
      redirectUri: listener.redirectUri,
      scope,
      state,
      codeChallenge: pkce.challenge,
      ...(opts.loginHint === undefined ? {} : { loginHint: opts.loginHint }),
      ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }),
      responseModeQuery: client.responseModeQuery,
      extra: client.authorizeParams,
    });
    const stopped = new Promise<never>((_, reject) => {
      const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
      timer = setTimeout(
        () =>
          reject(
            new OAuthError(
              'EAS_ERR_OAUTH_TIMEOUT',
              `sign-in not completed within ${Math.round(timeoutMs / 1000)} s`,
            ),
          ),
        timeoutMs,
      );
      onAbort = () => reject(new OAuthError('EAS_ERR_OAUTH_ABORTED', 'sign-in was cancelled'));
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Raced below; this keeps a timeout during the token exchange from becoming unhandled.
    stopped.catch(() => {});
    opts.onUrl?.(url);
    await Promise.race([(opts.openBrowser ?? openSystemBrowser)(url), stopped]);
    const query = await Promise.race([listener.callback(), stopped]);
    let code: string;
    try {
      code = readAuthorizationResponse(query, state);
    } catch (err) {
      listener.answer(false, (err as Error).message);
      throw err;
    }
    try {
      const tokens = await requestTokens(
        client.token,
        {
          grant_type: 'authorization_code',
          ...clientCredentials(client),
          code,
          redirect_uri: listener.redirectUri,
          code_verifier: pkce.verifier,
          ...(client.scopeAtToken ? { scope } : {}),
        },
        opts.clock ?? Date.now,
        {
          ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      );
      listener.answer(true, 'Tidings is signed in. You can close this window.');
      return tokens;
    } catch (err) {
      listener.answer(false, (err as Error).message);
      throw err;
    }
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    await listener.close();
  }
}
