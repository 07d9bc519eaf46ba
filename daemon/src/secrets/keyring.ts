import type { SecretSource } from './types';
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

/**
 * What a person on a headless server can do instead: the CLI's own flags and the config forms.
 * An OAuth2 refresh token rotates, so it has no read-only home: sign in where a keyring is.
 */
function headlessHint(purpose: KeyringPurpose, why: string): string {
  const head = `no OS keyring is reachable (${why}; a headless server, or no Secret Service on the session bus)`;
  if (purpose === 'oauth-refresh')
    return (
      `${head}; an OAuth2 account keeps its rotating refresh token there: run the daemon where a ` +
      'keyring is unlocked, or use a password account with `--password-command` / `--password-env`'
    );
  return (
    `${head}; tell the daemon where to read the password instead: ` +
    '`tidings account add … --password-command "pass show mail/work"` or `--password-env VAR`, ' +
    'or in the config the account\'s secret {"command": "…"} or {"env": "VAR"}'
  );
}

/** Maps the native error to ours; the native message names the platform store, never the secret. */
function unavailable(accountId: string, purpose: KeyringPurpose, cause: unknown): SecretError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new SecretError('SECRET_ERR_KEYRING_UNAVAILABLE', accountId, headlessHint(purpose, why), cause);
}

/** The entry the reachability probe writes and deletes again; never an account's own. */
export const KEYRING_PROBE_ACCOUNT = 'tidings-keyring-probe';
/** How long the probe may take: a Secret Service that hangs must not hang the account's start. */
export const KEYRING_PROBE_MS = 15_000;

/**
 * Resolves `undefined` when the keyring takes a write, else the reason it did not. A write,
 * not a read: without a Secret Service @napi-rs/keyring answers every read with "none" (and a
 * delete with true) and fails only writes ("Couldn't access platform storage"), so an empty
 * read alone cannot tell "no entry" from "no keyring".
 */
export async function probeKeyring(
  backend: KeyringBackend = osKeyring,
  timeoutMs = KEYRING_PROBE_MS,
): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
  });
  const probe = backend.set(KEYRING_SERVICE, KEYRING_PROBE_ACCOUNT, 'probe').then(
    () =>
      backend.delete(KEYRING_SERVICE, KEYRING_PROBE_ACCOUNT).then(
        () => undefined,
        () => undefined,
      ),
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
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
        throw unavailable(accountId, purpose, cause);
      }
      if (value === null || value === '') {
        // Only on this failure path: a keyring that takes no write is "unreachable", not "empty".
        const problem = await probeKeyring(backend);
        if (problem) throw unavailable(accountId, purpose, problem);
        throw new SecretError(
          'SECRET_ERR_NOT_FOUND',
          accountId,
          `no ${purpose} in the keyring (service "${KEYRING_SERVICE}", account "${account}"); store it with \`tidings account add\``,
        );
      }
      return value;
    },
    async set(value: string) {
      try {
        await backend.set(KEYRING_SERVICE, account, value);
      } catch (cause) {
        throw unavailable(accountId, purpose, cause);
      }
    },
    async delete() {
      try {
        await backend.delete(KEYRING_SERVICE, account);
      } catch (cause) {
        throw unavailable(accountId, purpose, cause);
      }
    },
  };
}
