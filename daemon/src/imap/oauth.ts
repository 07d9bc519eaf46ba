import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { ImapAccount } from '../config/account';
// Not the oauth/ index, which also exports the sign-in flows: the daemon imports this file and
// only refreshes tokens (issue 5, RSS).
import { type OAuthClientSettings, type OAuthProviderId, providerForHost } from '../oauth/providers';
import { createOAuthTokenProvider, type TokenProvider } from '../oauth/token-provider';
import { googleClientDefaults } from '../oauth/google-client';
import type { SecretSource } from '../secrets/types';

/** The provider an `oauth2` IMAP account signs in with: as configured, else from its host. */
export function imapOAuthProvider(account: ImapAccount): OAuthProviderId {
  return account.oauth2?.provider ?? providerForHost(account.host);
}

/**
 * An `oauth2` IMAP account's settings for oauth/ (sign-in and refresh alike): the provider
 * defaulted from the host (imap.gmail.com → google), Google's client secret from the config, else
 * `TIDINGS_GOOGLE_CLIENT_SECRET` or the build's. Undefined for password accounts.
 */
export function imapOAuthSettings(
  account: ImapAccount,
  env: NodeJS.ProcessEnv = process.env,
): (OAuthClientSettings & { provider: OAuthProviderId }) | undefined {
  const o = account.oauth2;
  if (!o) return undefined;
  const provider = imapOAuthProvider(account);
  const clientSecret =
    o.clientSecret ?? (provider === 'google' ? googleClientDefaults(env).clientSecret : undefined);
  return {
    provider,
    clientId: o.clientId,
    tenant: o.tenant,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(o.authority === undefined ? {} : { authority: o.authority }),
    ...(o.scope === undefined ? {} : { scope: o.scope }),
  };
}

/**
 * The access-token source of an `oauth2` IMAP account (Gmail, Microsoft 365): the OAuth code in
 * oauth/, with the refresh token as the account's secret (keyring `<id>:oauth-refresh`; Entra
 * rotates it there, Google keeps one). imapflow sends the token as OAUTHBEARER (RFC 7628) where
 * the server advertises it, else XOAUTH2 (Gmail's own mechanism). The watcher asks for a forced
 * refresh once when the server refuses a token (a revoked one can look unexpired). Undefined for
 * password accounts.
 */
export function imapTokenProvider(
  account: ImapAccount,
  refreshToken: SecretSource,
  dispatcher: Dispatcher,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): TokenProvider | undefined {
  const s = imapOAuthSettings(account, env);
  if (!s) return undefined;
  return createOAuthTokenProvider({
    ...s,
    use: 'imap',
    refreshToken,
    dispatcher,
    log,
  });
}
