import { CodedError } from '../coded-error';

/**
 * Errors of the sinks. A sink never throws into the hub: each failure becomes a `SinkError`
 * that is logged and published on the sink's diagnostics channel (sinks/channels.ts).
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `SINK_ERR_DESKTOP` | node-notifier / `notify-send` failed (not installed, no session bus, no notification server) | install libnotify-bin, run inside a desktop session, or disable `sinks.desktop` on servers |
 * | `SINK_ERR_HOOK_SPAWN` | an exec hook's command could not be started (not found, not executable) | fix `command` of the named hook |
 * | `SINK_ERR_HOOK_EXIT` | an exec hook exited non-zero or was killed by a signal | read the hook's stderr tail in the log entry |
 * | `SINK_ERR_HOOK_TIMEOUT` | an exec hook ran longer than `timeoutSeconds` and was killed | make it faster, or raise `timeoutSeconds` |
 * | `SINK_ERR_WEBHOOK_HTTP` | the webhook answered with a status that will not change on retry (4xx, 3xx) | fix the URL or the receiver; the signal is dropped |
 * | `SINK_ERR_WEBHOOK_NETWORK` | connection refused / reset / timed out (retried) | nothing, unless it persists |
 * | `SINK_ERR_WEBHOOK_GAVE_UP` | `maxAttempts` tried without success; the signal is dropped | check the receiver; raise `maxAttempts` |
 * | `SINK_ERR_WEBHOOK_OVERFLOW` | a signal offered to a full queue (a caller ignored `deliver() === false`) | a bug in the caller |
 * | `SINK_ERR_SECRET` | the webhook's signing secret could not be fetched (retried) | check the keyring entry / command / variable named in the config |
 */
export type SinkErrorCode =
  | 'SINK_ERR_DESKTOP'
  | 'SINK_ERR_HOOK_SPAWN'
  | 'SINK_ERR_HOOK_EXIT'
  | 'SINK_ERR_HOOK_TIMEOUT'
  | 'SINK_ERR_WEBHOOK_HTTP'
  | 'SINK_ERR_WEBHOOK_NETWORK'
  | 'SINK_ERR_WEBHOOK_GAVE_UP'
  | 'SINK_ERR_WEBHOOK_OVERFLOW'
  | 'SINK_ERR_SECRET';

/** What a person needs to act. Never a secret, never a webhook's query string. */
export interface SinkErrorContext {
  /** The sink's name (`desktop`, the hook's or webhook's name). */
  sink: string;
  signalId?: string;
  /** Exit code or HTTP status. */
  status?: number;
  /** Signal that killed a hook. */
  killedBy?: string;
  /** Last bytes of a hook's stderr. */
  stderr?: string;
  /** Webhook URL without userinfo or query. */
  url?: string;
  attempt?: number;
}

/** The one error class of daemon/src/sinks. */
export class SinkError extends CodedError<SinkErrorCode, SinkErrorContext> {
  override readonly name = 'SinkError';
}
