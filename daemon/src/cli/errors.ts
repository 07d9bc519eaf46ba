/**
 * Errors of the CLI room and the exit codes they map to (also in docs/daemon.md).
 *
 * | code | exit | when |
 * | --- | --- | --- |
 * | `CLI_ERR_UNKNOWN_COMMAND` | 2 | the words do not name a command |
 * | `CLI_ERR_UNKNOWN_FLAG` | 2 | a flag the command does not declare |
 * | `CLI_ERR_BAD_VALUE` | 2 | a flag value of the wrong type, or a missing value |
 * | `CLI_ERR_EXTRA_ARGS` | 2 | more positional arguments than the command takes |
 * | `CLI_ERR_MISSING` | 2 | a required argument or flag is absent (and there is no terminal to ask) |
 * | `CLI_ERR_NO_KEYRING` | 1 | `account add` would store a secret in the OS keyring and none is reachable (the message names `--password-command` / `--password-env`) |
 * | `CLI_ERR_FAILED` | 1 | the command ran and failed (message says why) |
 */
export type CliErrorCode =
  | 'CLI_ERR_UNKNOWN_COMMAND'
  | 'CLI_ERR_UNKNOWN_FLAG'
  | 'CLI_ERR_BAD_VALUE'
  | 'CLI_ERR_EXTRA_ARGS'
  | 'CLI_ERR_MISSING'
  | 'CLI_ERR_NO_KEYRING'
  | 'CLI_ERR_FAILED';

/** Process exit codes of `tidings`. */
export const EXIT = {
  OK: 0,
  /** The command ran and failed. */
  FAILURE: 1,
  /** Bad command line: unknown command or flag, bad value. */
  USAGE: 2,
  /** No daemon answers on the socket. */
  NOT_RUNNING: 3,
  /** The config file is missing where required, unreadable or invalid. */
  CONFIG: 4,
  /** `doctor` / `account test` ran and found a problem. */
  CHECK_FAILED: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;
  /** The command whose usage to print with a usage error. */
  readonly command: string | undefined;

  constructor(code: CliErrorCode, message: string, opts: { command?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.exitCode = code === 'CLI_ERR_FAILED' || code === 'CLI_ERR_NO_KEYRING' ? EXIT.FAILURE : EXIT.USAGE;
    this.command = opts.command;
  }
}
