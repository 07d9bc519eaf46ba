import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { ImapAccount } from '../config/account';
import { authorityFor, createOAuthTokenProvider, type TokenProvider } from '../oauth';
import type { SecretSource } from '../secrets/types';

/**
 * The access-token source of an `oauth2` IMAP account (Gmail, Microsoft 365): the Exchange OAuth
 * code (oauth/), with the refresh token as the account's secret (keyring `<id>:oauth-refresh`,
 * rotated there). imapflow sends the token as OAUTHBEARER (RFC 7628) or XOAUTH2, whichever the
 * server offers. Undefined for password accounts.
 */
export function imapTokenProvider(
  account: ImapAccount,
  refreshToken: SecretSource,
  dispatcher: Dispatcher,
  log: Logger,
): TokenProvider | undefined {
  const o = account.oauth2;
  if (!o) return undefined;
  return createOAuthTokenProvider({
    clientId: o.clientId,
    authority: o.authority ?? authorityFor(o.tenant),
    scope: o.scope,
    refreshToken,
    dispatcher,
    log,
  });
}
