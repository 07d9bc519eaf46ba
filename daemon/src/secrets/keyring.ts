import type { SecretSource } from '../watch/types';
import { SecretError } from './errors';

/** Keyring service name every Tidings entry is stored under. */
export const KEYRING_SERVICE = 'tidings';

/** What is stored per account: the password, or the OAuth2 refresh token. */
export type KeyringPurpose = 'password' | 'oauth-refresh';

/** The keyring user name: `<accountId>` for passwords, `<accountId>:oauth-refresh` for tokens. */
export function keyringAccount(accountId: string, purpose: KeyringPurpose): string {
  return purpose === 'password' ? accountId : `${accountId}:${purpose}`;
}

/** The three keyring operations; the default goes to the OS store, tests pass a map. */
export interface KeyringBackend {
  get(service: string, account: string): Promise<string | null>;
  set(service: string, account: string, value: string): Promise<void>;
  delete(service: string, account: string): Promise<boolean>;
}

/**
 * The OS store via @napi-rs/keyring: Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows. AsyncEntry, not Entry: the D-Bus round trip must not block the event
 * loop that holds every other account's Ping.
 */
export const osKeyring: KeyringBackend = {
  get: async (service, account) => new (await native()).AsyncEntry(service, account).getPassword(),
  set: async (service, account, value) =>
    new (await native()).AsyncEntry(service, account).setPassword(value),
  delete: async (service, account) => new (await native()).AsyncEntry(service, account).deletePassword(),
};

/**
 * The addon, loaded on first use: a daemon whose secrets come from a command or the environment
 * (servers) never maps it, and loading resolves all its symbols (~1.4 MB of RSS).
 */
let addon: Promise<typeof import('@napi-rs/keyring')> | undefined;
function native(): Promise<typeof import('@napi-rs/keyring')> {
  addon ??= import('@napi-rs/keyring');
  return addon;
}

const HEADLESS_HINT =
  'no OS keyring is reachable (headless server, or no Secret Service on the session bus); ' +
  'set the account\'s secret to {"command": "…"} (a password command) or {"env": "VAR"} instead';

/** Maps the native error to ours; the native message names the platform store, never the secret. */
function unavailable(accountId: string, cause: unknown): SecretError {
  return new SecretError('SECRET_ERR_KEYRING_UNAVAILABLE', accountId, HEADLESS_HINT, cause);
}

/** A SecretSource stored in the OS keyring under service `tidings`. */
export function keyringSecret(
  accountId: string,
  purpose: KeyringPurpose = 'password',
  backend: KeyringBackend = osKeyring,
): SecretSource {
  const account = keyringAccount(accountId, purpose);
  return {
    async get() {
      let value: string | null;
      try {
        value = await backend.get(KEYRING_SERVICE, account);
      } catch (cause) {
        throw unavailable(accountId, cause);
      }
      if (value === null || value === '')
        throw new SecretError(
          'SECRET_ERR_NOT_FOUND',
          accountId,
          `no ${purpose} in the keyring (service "${KEYRING_SERVICE}", account "${account}"); store it with \`tidings account add\``,
        );
      return value;
    },
    async set(value: string) {
      try {
        await backend.set(KEYRING_SERVICE, account, value);
      } catch (cause) {
        throw unavailable(accountId, cause);
      }
    },
    async delete() {
      try {
        await backend.delete(KEYRING_SERVICE, account);
      } catch (cause) {
        throw unavailable(accountId, cause);
      }
    },
  };
}
