import type { Account } from '../../../daemon/src/config/account';
import { loadConfig } from '../../../daemon/src/config/load';
import { imapOAuthSettings } from '../../../daemon/src/imap/oauth';
import type { IpcMethods } from '../../../daemon/src/ipc/protocol';
import { OAuthError, signInInteractive } from '../../../daemon/src/oauth';
import type { OAuthClientSettings, OAuthProviderId, OAuthUse } from '../../../daemon/src/oauth/providers';
import { TrayError } from '../errors';

/** An account's OAuth settings for oauth/, with the provider resolved (Microsoft or Google). */
export type OAuthSettings = OAuthClientSettings & { provider: OAuthProviderId; use: OAuthUse };

/** How long the loopback listener waits for the browser before giving up. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

/**
 * The OAuth settings of an Exchange or JMAP (`auth.type: oauth2`) or IMAP (`oauth2`) account, or
 * undefined for password accounts. IMAP's provider comes from the config or its host
 * (imap.gmail.com → Google), and Google's client secret from the config or the environment.
 */
export function oauthSettingsOf(
  account: Account,
  env: NodeJS.ProcessEnv = process.env,
): OAuthSettings | undefined {
  if (account.kind === 'exchange' && account.auth.type === 'oauth2')
    return { ...account.auth, provider: 'microsoft', use: 'eas' };
  if (account.kind === 'imap') {
    const s = imapOAuthSettings(account, env);
    return s ? { ...s, use: 'imap' } : undefined;
  }
  // JMAP's own authority (`<authority>/authorize`, `/token`), the shape Entra's v2 endpoints have.
  if (account.kind === 'jmap' && account.auth.type === 'oauth2') {
    const { clientId, authority, scope } = account.auth;
    return { provider: 'microsoft', clientId, authority, scope, use: 'eas' };
  }
  return undefined;
}

/**
 * Runs one sign-in with the daemon's OAuth code (oauth/interactive.ts): authorization code + PKCE
 * (S256) through a loopback redirect on 127.0.0.1 (RFC 8252 §7.3), the provider's page in the
 * system browser — never in an Electron window, where the app could read the password (RFC 8252
 * §8.12) — and returns the refresh token, the only part worth keeping.
 */
export async function runLoopbackSignIn(
  o: OAuthSettings,
  openBrowser: (url: string) => Promise<void>,
): Promise<string> {
  let tokens: Awaited<ReturnType<typeof signInInteractive>>;
  try {
    tokens = await signInInteractive({
      ...o,
      // Microsoft: let the person pick among signed-in accounts. Google's own `prompt=consent`
      // (for a refresh token) comes with its provider settings.
      ...(o.provider === 'microsoft' ? { prompt: 'select_account' as const } : {}),
      openBrowser,
      timeoutMs: SIGN_IN_TIMEOUT_MS,
    });
  } catch (err) {
    // OAuthError messages carry the provider's words (AADSTS codes), never a token or secret.
    if (err instanceof OAuthError) throw new TrayError('TRAY_ERR_SIGN_IN', `sign-in failed: ${err.message}`);
    throw err;
  }
  if (tokens.refreshToken === undefined)
    throw new TrayError('TRAY_ERR_SIGN_IN', 'sign-in failed: the provider returned no refresh token');
  return tokens.refreshToken;
}

/** The daemon calls the tray needs for a sign-in. */
export interface SignInDaemon {
  call<M extends 'status' | 'accounts.setSecret'>(
    method: M,
    params: IpcMethods[M]['params'],
  ): Promise<IpcMethods[M]['result']>;
}

/**
 * Signs an Exchange Online, Microsoft 365 IMAP or Gmail IMAP account in. The account's OAuth
 * settings are read from the daemon's own config file (its path comes from `status`); the refresh
 * token goes straight to the daemon, which keeps it in the OS keyring (`<id>:oauth-refresh`, where
 * the account's watcher reads it) — the tray does not store it.
 */
export async function signInWithOAuth(
  accountId: string,
  daemon: SignInDaemon,
  openBrowser: (url: string) => Promise<void>,
): Promise<void> {
  const { configPath } = await daemon.call('status', {});
  const account = (await loadConfig(configPath)).accounts.find((a) => a.id === accountId);
  if (!account) throw new TrayError('TRAY_ERR_INVALID_INPUT', `no account "${accountId}"`, { field: 'id' });
  const settings = oauthSettingsOf(account);
  if (!settings) {
    throw new TrayError('TRAY_ERR_INVALID_INPUT', `account "${accountId}" does not use OAuth sign-in`, {
      field: 'id',
    });
  }
  const refreshToken = await runLoopbackSignIn(settings, openBrowser);
  await daemon.call('accounts.setSecret', { id: accountId, secret: refreshToken });
}
