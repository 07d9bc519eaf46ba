import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { isJournalStream, withJournalPriority } from './log-journal';

/**
 * pino-pretty is loaded only for a terminal: a service writing JSON lines to journald never pays
 * for it (≈9 MB RSS). A run-time require, so the bundle (scripts/build-daemon.ts) leaves it out.
 */
const loadPretty = (): typeof PinoPretty =>
  createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

/** Log levels accepted by the config file and `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field paths that may carry a secret. pino replaces them with "[redacted]" before a line is
 * written, so a secret passed by mistake in a log object never reaches a file or journald.
 * This is a second line of defence: code never logs secrets on purpose.
 */
export const REDACT_PATHS = [
  'secret',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.authorization',
  'params.secret',
  'params.password',
  // A Google desktop client's secret (config `oauth2.clientSecret`, the token request's
  // client_secret): non-confidential by Google's account, still never in a log line.
  'clientSecret',
  'client_secret',
  '*.clientSecret',
  '*.client_secret',
  'oauth2.clientSecret',
  '*.oauth2.clientSecret',
  'account.oauth2.clientSecret',
  'params.account.oauth2.clientSecret',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Readable output instead of JSON lines; default: when stderr is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stderr (fd 2). Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
  /**
   * Prefix each line with its syslog priority for journald (log-journal.ts); default: when
   * stderr is the journal stream systemd connected (JOURNAL_STREAM).
   */
  journal?: boolean;
}

/**
 * The daemon's logger: JSON lines on stderr (journald and launchd keep them), readable with
 * pino-pretty when a person watches a terminal.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  const usePretty = opts.pretty ?? (opts.destination === undefined && process.stderr.isTTY === true);
  if (usePretty) {
    return pino(
      options,
      loadPretty()({
        destination: opts.destination ?? 2,
        sync: true,
        ignore: 'pid,hostname',
        colorize: true,
      }),
    );
  }
  const journal = opts.journal ?? (opts.destination === undefined && isJournalStream(process.env));
  const dest = opts.destination ?? pino.destination({ dest: 2, sync: true });
  return pino(options, journal ? withJournalPriority(dest) : dest);
}
