import type { EasAccount } from '../../config/account';
import { loadConfig } from '../../config/load';
import { imapOAuthSettings } from '../../imap/oauth';
import {
  type OAuthClientSettings,
  type OAuthProviderId,
  type OAuthUse,
  signInInteractive,
  signInWithDeviceCode,
  type TokenSet,
} from '../../oauth';
import { IpcError } from '../../ipc/errors';
import { keyringSecret, osKeyring } from '../../secrets';
import type { CommandContext } from '../command';
import { withDaemon } from '../client';
import { CliError, EXIT } from '../errors';
import { requireKeyring } from '../keyring-check';
import { configPathOf } from '../paths';

/** The OAuth2 settings of an account (exchange with auth.type oauth2, or imap with oauth2). */
interface OAuthSettings {
  id: string;
  email: string | undefined;
  auth: OAuthClientSettings & { provider: OAuthProviderId };
  use: OAuthUse;
}

/** The OAuth2 settings of an account, or a CliError saying why there are none. */
async function oauthAccount(ctx: CommandContext, id: string): Promise<OAuthSettings> {
  const account = (await loadConfig(configPathOf(ctx))).accounts.find((a) => a.id === id);
  if (!account) throw new CliError('CLI_ERR_FAILED', `no account "${id}" in ${configPathOf(ctx)}`);
  // IMAP (issue 17): XOAUTH2/OAUTHBEARER, Microsoft 365 or Gmail (provider from the host).
  const imap = account.kind === 'imap' ? imapOAuthSettings(account, ctx.env) : undefined;
  if (account.kind === 'imap' && imap)
    return { id: account.id, email: account.email ?? account.username, auth: imap, use: 'imap' };
  // JMAP's own authority (`<authority>/authorize`, `/token`): the shape Entra's v2 endpoints have.
  if (account.kind === 'jmap' && account.auth.type === 'oauth2') {
    const { clientId, authority, scope } = account.auth;
    return {
      id: account.id,
      email: undefined,
      auth: { provider: 'microsoft', clientId, authority, scope },
      use: 'eas',
    };
  }
  if (account.kind !== 'exchange' || account.auth.type !== 'oauth2')
    throw new CliError(
      'CLI_ERR_BAD_VALUE',
      `account "${id}" does not use OAuth2 (auth.type "oauth2"); its password is set with \`tidings account add\``,
      { command: 'account login' },
    );
  const easAccount = account as EasAccount & { auth: { type: 'oauth2' } };
  return {
    id: easAccount.id,
    email: easAccount.email,
    auth: { ...easAccount.auth, provider: 'microsoft' },
    use: 'eas',
  };
}

/**
 * Signs an OAuth2 account in (browser + loopback + PKCE, or the device code on a headless
 * machine), stores the refresh token in the keyring (`<id>:oauth-refresh`) and has a running
 * daemon restart the account with it.
 * Its name, flags and help are in ../registry.ts.
 */
export async function accountLogin(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id)
    throw new CliError('CLI_ERR_MISSING', 'which account? tidings account login <id>', {
      command: 'account login',
    });
  const account = await oauthAccount(ctx, id);
  const google = account.auth.provider === 'google';
  if (google && ctx.flags['device-code'])
    // Google's device flow grants a short allow-list of scopes; https://mail.google.com/ is not on it.
    throw new CliError(
      'CLI_ERR_BAD_VALUE',
      'Google does not allow mail access through the device code: sign in with the browser (on a ' +
        'headless machine, forward the loopback port printed in the URL with ssh -L; docs/gmail.md)',
      { command: 'account login' },
    );
  if (google && account.auth.clientSecret === undefined)
    throw new CliError(
      'CLI_ERR_MISSING',
      `account "${id}" signs in with Google, which needs the desktop client's secret: set ` +
        'oauth2.clientSecret in the config or TIDINGS_GOOGLE_CLIENT_SECRET (docs/gmail.md)',
      { command: 'account login' },
    );
  // Before the browser or the device code: the token has to be kept somewhere.
  await requireKeyring(ctx, 'oauth', 'account login');
  const common = { ...account.auth, use: account.use };
  let tokens: TokenSet;
  if (ctx.flags['device-code']) {
    tokens = await signInWithDeviceCode({
      ...common,
      ...(ctx.hooks?.sleep ? { sleep: ctx.hooks.sleep } : {}),
      onPrompt: (p) =>
        ctx.out.info(p.message ?? `To sign in, open ${p.verificationUri} and enter the code ${p.userCode}`),
    });
  } else {
    tokens = await signInInteractive({
      ...common,
      ...(account.email === undefined ? {} : { loginHint: account.email }),
      ...(ctx.hooks?.openBrowser ? { openBrowser: ctx.hooks.openBrowser } : {}),
      onUrl: (url) => ctx.out.info(`Opening the browser to sign in. If it does not open, visit:\n${url}`),
    });
  }
  if (!tokens.refreshToken)
    throw new CliError(
      'CLI_ERR_FAILED',
      google
        ? 'Google returned no refresh token (it sends one with access_type=offline and a consent screen); sign in again'
        : 'the identity provider returned no refresh token: the scope must include offline_access',
      { command: 'account login' },
    );
  // Where secretForAccount keeps an OAuth2 account's refresh token, for either kind.
  const secret = keyringSecret(account.id, 'oauth-refresh', ctx.hooks?.keyring ?? osKeyring);
  await secret.set!(tokens.refreshToken);
  let daemon = 'not running: the account signs in when it starts';
  try {
    // The daemon stores the token in its keyring too and restarts the watcher now.
    await withDaemon(ctx, (c) => c.call('accounts.setSecret', { id, secret: tokens.refreshToken! }));
    daemon = 'restarted the account';
  } catch (err) {
    if (!(err instanceof IpcError && err.code === 'IPC_ERR_NOT_RUNNING')) throw err;
  }
  ctx.out.result({ signedIn: true, id, daemon }, () => `signed in ${id}; daemon: ${daemon}`);
  return EXIT.OK;
}
