import type { Account, SecretRef } from '../config/account';
import type { SecretSource } from './types';
import { commandSecret } from './command';
import { envSecret } from './env';
import { type KeyringBackend, keyringSecret, osKeyring } from './keyring';
import { sessionSecret } from './session';

export { SecretError, type SecretErrorCode } from './errors';
export { KEYRING_SERVICE, type KeyringBackend, keyringAccount, keyringSecret, osKeyring } from './keyring';
export { commandSecret } from './command';
export { envSecret } from './env';
export { type SessionSecret, sessionSecret } from './session';

export interface SecretOptions {
  keyring?: KeyringBackend;
  env?: NodeJS.ProcessEnv;
  commandTimeoutMs?: number;
}

/** The SecretSource a config `secret` entry names. */
export function secretFromRef(accountId: string, ref: SecretRef, opts: SecretOptions = {}): SecretSource {
  if ('keyring' in ref) return keyringSecret(accountId, 'password', opts.keyring ?? osKeyring);
  // A command (pass, gpg) is run once per session, not per request; forgotten on a 401.
  if ('command' in ref)
    return sessionSecret(
      commandSecret(accountId, ref.command, {
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.commandTimeoutMs ? { timeoutMs: opts.commandTimeoutMs } : {}),
      }),
    );
  return envSecret(accountId, ref.env, opts.env);
}

/**
 * The secret an account's watcher needs: its password source, or for OAuth2 accounts the
 * refresh token, which always lives in the keyring (it rotates, so it must be writable).
 */
export function secretForAccount(account: Account, opts: SecretOptions = {}): SecretSource {
  if (account.kind === 'exchange') {
    if (account.auth.type === 'oauth2')
      return keyringSecret(account.id, 'oauth-refresh', opts.keyring ?? osKeyring);
    return secretFromRef(account.id, account.auth.secret, opts);
  }
  if (account.kind === 'imap' && account.oauth2)
    return keyringSecret(account.id, 'oauth-refresh', opts.keyring ?? osKeyring);
  return secretFromRef(account.id, account.secret, opts);
}
