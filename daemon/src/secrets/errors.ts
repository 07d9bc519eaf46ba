/**
 * Errors of the secrets room. Messages name the account and where the secret was looked for,
 * never the secret, and never a password command's stderr (it may echo what it read).
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `SECRET_ERR_KEYRING_UNAVAILABLE` | no OS keyring (headless server, no Secret Service on D-Bus, locked): a read failed, or an empty read and the keyring refused a probe write (the native store answers reads with "none" when it has no backend) | `tidings account add … --password-command` / `--password-env`, or `{"command": …}` / `{"env": …}` as the account's secret in the config |
 * | `SECRET_ERR_NOT_FOUND` | the keyring is reachable (it took a probe write) and has no entry for the account | `tidings account add` again, or store it with `secret-tool` / Keychain |
 * | `SECRET_ERR_COMMAND_FAILED` | the password command exited non-zero or could not start | run the command by hand and fix it |
 * | `SECRET_ERR_COMMAND_TIMEOUT` | the password command ran past its timeout (killed) | unlock the password manager, or make the command non-interactive |
 * | `SECRET_ERR_EMPTY` | the command printed nothing, or the variable is empty | check the command / variable |
 * | `SECRET_ERR_ENV_UNSET` | the environment variable is not set in the daemon's environment | set it in the service unit (`Environment=`) or shell |
 * | `SECRET_ERR_READ_ONLY` | storing a secret where only reading is possible (command, env) | store it in the keyring instead |
 */
export type SecretErrorCode =
  | 'SECRET_ERR_KEYRING_UNAVAILABLE'
  | 'SECRET_ERR_NOT_FOUND'
  | 'SECRET_ERR_COMMAND_FAILED'
  | 'SECRET_ERR_COMMAND_TIMEOUT'
  | 'SECRET_ERR_EMPTY'
  | 'SECRET_ERR_ENV_UNSET'
  | 'SECRET_ERR_READ_ONLY';

export class SecretError extends Error {
  override readonly name = 'SecretError';
  readonly code: SecretErrorCode;
  readonly accountId: string;

  constructor(code: SecretErrorCode, accountId: string, message: string, cause?: unknown) {
    super(`account ${accountId}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.accountId = accountId;
  }
}
