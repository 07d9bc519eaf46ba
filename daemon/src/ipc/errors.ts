/**
 * Errors of the IPC room, on both ends of the socket. Codes that cross the wire are JSON-RPC
 * error codes (`IpcErrorCode` in protocol.ts); this class is what the local side throws.
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `IPC_ERR_NOT_RUNNING` | no daemon listens on the socket (absent, or refused) | start it: `tidings daemon` or the service |
 * | `IPC_ERR_UNSAFE_PATH` | the socket directory is owned by another user, is a symlink, or is writable by others, or the socket is not a socket owned by us (a client checks this before it sends anything) | remove the directory another user planted (the message names it), `chmod 700` our own, or choose another path with `ipc.path` |
 * | `IPC_ERR_IN_USE` | another daemon already answers on the socket | stop that daemon first |
 * | `IPC_ERR_PROTOCOL` | the peer sent something that is not our protocol (bad hello answer, oversized frame) | update the client or daemon so versions match |
 * | `IPC_ERR_REMOTE` | the daemon answered a call with a JSON-RPC error (`rpcCode`, `data` attached) | read the message; it names the field or account |
 * | `IPC_ERR_CLOSED` | the connection closed before an answer came | retry; the daemon may be restarting |
 * | `IPC_ERR_TIMEOUT` | no answer within the call timeout | check that the daemon is not stuck (`tidings doctor`) |
 */
export type IpcErrorCodeName =
  | 'IPC_ERR_NOT_RUNNING'
  | 'IPC_ERR_UNSAFE_PATH'
  | 'IPC_ERR_IN_USE'
  | 'IPC_ERR_PROTOCOL'
  | 'IPC_ERR_REMOTE'
  | 'IPC_ERR_CLOSED'
  | 'IPC_ERR_TIMEOUT';

export class IpcError extends Error {
  override readonly name = 'IpcError';
  readonly code: IpcErrorCodeName;
  /** The JSON-RPC error code for IPC_ERR_REMOTE. */
  readonly rpcCode: number | undefined;
  readonly data: unknown;

  constructor(
    code: IpcErrorCodeName,
    message: string,
    opts: { rpcCode?: number; data?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.rpcCode = opts.rpcCode;
    this.data = opts.data;
  }
}
