import type { WbxmlElement } from '@tidings/wbxml/core';

/** The few log methods the engine uses (a pino Logger fits). Never given secrets. */
export interface EasLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Per-request options a command may set. */
export interface SendOptions {
  /** Response deadline, ms (Ping: heartbeat + margin). */
  timeoutMs?: number;
  /** Told when the request went out again on a fresh connection (net/resend.ts). */
  onResend?: () => void;
  signal?: AbortSignal;
}

/**
 * What a command sees of the connection: send a WBXML tree, get one back (undefined for an
 * empty 200 body). Tests pass a plain object; {@link EasClient} implements it over HTTP.
 */
export interface EasConnection {
  /** Negotiated protocol version ("14.1"). */
  readonly version: string;
  /** Current policy key, undefined when the server has no policy for us. */
  readonly policyKey: string | undefined;
  readonly log: EasLog;
  send(
    command: string,
    body: WbxmlElement | undefined,
    opts?: SendOptions,
  ): Promise<WbxmlElement | undefined>;
}
