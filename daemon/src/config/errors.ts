/**
 * Errors of the config room. Every message names the file; validation errors also name the
 * field path (`accounts[1].url`) and the reason, so a person can fix the file without reading code.
 *
 * | code | when |
 * | --- | --- |
 * | `CONFIG_ERR_NOT_FOUND` | the config file does not exist |
 * | `CONFIG_ERR_READ` | the file exists but cannot be read (permissions, a directory …) |
 * | `CONFIG_ERR_PERMISSIONS` | the file or its directory is writable by group or others, or owned by another user (it names commands the daemon runs): the message names the `chmod go-w` / `chown` that fixes it |
 * | `CONFIG_ERR_PARSE` | the file is not valid JSON (line and column given) |
 * | `CONFIG_ERR_INVALID` | JSON that does not match the schema (field path and reason given) |
 * | `CONFIG_ERR_WRITE` | writing the file failed (account add/remove) |
 * | `CONFIG_ERR_DUPLICATE_ACCOUNT` | an account id is used twice, or `account add` names an existing id |
 * | `CONFIG_ERR_NO_SUCH_ACCOUNT` | an account id that is not in the file |
 * | `CONFIG_ERR_DEMO` | `notifications.set` while the daemon runs the demo (no config file yet): add an account first |
 */
export type ConfigErrorCode =
  | 'CONFIG_ERR_NOT_FOUND'
  | 'CONFIG_ERR_READ'
  | 'CONFIG_ERR_PERMISSIONS'
  | 'CONFIG_ERR_PARSE'
  | 'CONFIG_ERR_INVALID'
  | 'CONFIG_ERR_WRITE'
  | 'CONFIG_ERR_DUPLICATE_ACCOUNT'
  | 'CONFIG_ERR_NO_SUCH_ACCOUNT';

/** One problem found in the file: a field path as people write it and the reason. */
export interface ConfigIssue {
  path: string;
  reason: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  /** The config file concerned. */
  readonly file: string;
  /** Validation problems (CONFIG_ERR_INVALID), first one also in the message. */
  readonly issues: ConfigIssue[];

  constructor(
    code: ConfigErrorCode,
    file: string,
    message: string,
    opts: { issues?: ConfigIssue[]; cause?: unknown } = {},
  ) {
    super(`${file}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.file = file;
    this.issues = opts.issues ?? [];
  }
}
