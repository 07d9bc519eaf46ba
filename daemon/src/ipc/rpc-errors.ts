import { JSONRPCErrorCode, JSONRPCErrorException } from 'json-rpc-2.0';
import { ConfigError } from '../config/errors';
import { IpcErrorCode } from './protocol';

/** A typed error of any room: `code` like `EAS_ERR_AUTH`, message written for people. */
function roomCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z]+_ERR_[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/**
 * Maps what a handler threw to the JSON-RPC error a client sees. Our rooms' typed errors carry
 * messages written for people and free of secrets, so they cross the wire with their code in
 * `data.code`; anything else is a bug and becomes a bare −32603 (details stay in the log).
 */
export function toRpcError(err: unknown): JSONRPCErrorException {
  if (err instanceof JSONRPCErrorException) return err;
  if (err instanceof ConfigError)
    return new JSONRPCErrorException(err.message, IpcErrorCode.INVALID_CONFIG, {
      code: err.code,
      file: err.file,
      issues: err.issues,
    });
  const code = roomCode(err);
  if (code) return new JSONRPCErrorException((err as Error).message, IpcErrorCode.OPERATION_FAILED, { code });
  return new JSONRPCErrorException('internal error (see the daemon log)', JSONRPCErrorCode.InternalError);
}

/** The error a handler throws for an unknown account id. */
export function noSuchAccount(id: string): JSONRPCErrorException {
  return new JSONRPCErrorException(`no account "${id}"`, IpcErrorCode.NO_SUCH_ACCOUNT, { id });
}
