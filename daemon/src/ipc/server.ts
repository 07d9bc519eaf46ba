import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createJSONRPCErrorResponse,
  createJSONRPCSuccessResponse,
  JSONRPCErrorCode,
  JSONRPCServer,
} from 'json-rpc-2.0';
import type { Logger } from 'pino';
import { type ClientInfo, Connection, type ConnectionLimits, DEFAULT_LIMITS } from './connection';
import { IpcError } from './errors';
import { checkParams } from './params';
import { FrameBudget, encodeFrame } from './framing';
import { isNamedPipe, prepareListenPath } from './paths';
import {
  IPC_PROTOCOL_VERSION,
  IpcErrorCode,
  type IpcMethod,
  type IpcMethods,
  type StatusDelta,
} from './protocol';
import { toRpcError } from './rpc-errors';

/** A method's implementation; `client` says who called. */
export type IpcHandler<M extends IpcMethod> = (
  params: IpcMethods[M]['params'],
  client: Connection,
) => Promise<IpcMethods[M]['result']> | IpcMethods[M]['result'];

/** Every method except `hello`, which the server checks itself. */
export type IpcHandlers = { [M in Exclude<IpcMethod, 'hello'>]: IpcHandler<M> };

export interface IpcServerOptions {
  path: string;
  log: Logger;
  /** Daemon version sent in the hello answer. */
  version: string;
  handlers: IpcHandlers;
  limits?: Partial<ConnectionLimits>;
  /** A client disconnected (the daemon removes its hub sink). */
  onClientClose?: (client: Connection) => void;
}

export interface IpcServer {
  readonly path: string;
  /** Connected clients, for status and tests. */
  clients(): readonly ClientInfo[];
  /** Bytes of unfinished frames held over all connections (bounded by `maxBufferedBytes`). */
  bufferedBytes(): number;
  /** Sends a status delta to every subscribed client (merged per client while it is busy). */
  broadcastStatusDelta(delta: StatusDelta): void;
  /** Stops listening, closes every client, removes the socket file. */
  close(): Promise<void>;
}

/**
 * Checks hello step by step, as ws's handleUpgrade checks each header and aborts with the
 * precise status: params shape → −32602, version → PROTOCOL_MISMATCH; either closes the
 * connection after the answer. Any other call first → HELLO_REQUIRED and close.
 */
function helloGate(version: string): Parameters<JSONRPCServer<Connection>['applyMiddleware']>[0] {
  return async (next, request, conn) => {
    const id = request.id;
    if (request.method === 'hello') {
      if (conn.ready) {
        return id === undefined
          ? null
          : createJSONRPCErrorResponse(id, JSONRPCErrorCode.InvalidRequest, 'hello was already said');
      }
      const checked = checkParams('hello', request.params);
      if (!checked.ok) {
        conn.endAfterReply();
        return id === undefined
          ? null
          : createJSONRPCErrorResponse(id, JSONRPCErrorCode.InvalidParams, checked.message, {
              issues: checked.issues,
            });
      }
      if (checked.value.protocol !== IPC_PROTOCOL_VERSION) {
        conn.endAfterReply();
        return id === undefined
          ? null
          : createJSONRPCErrorResponse(
              id,
              IpcErrorCode.PROTOCOL_MISMATCH,
              `protocol ${checked.value.protocol} is not spoken here; this daemon speaks ${IPC_PROTOCOL_VERSION}`,
              { supported: [IPC_PROTOCOL_VERSION] },
            );
      }
      conn.ready = true;
      conn.name = checked.value.client;
      return id === undefined
        ? null
        : createJSONRPCSuccessResponse(id, { protocol: IPC_PROTOCOL_VERSION, daemon: version });
    }
    if (!conn.ready) {
      conn.endAfterReply();
      return id === undefined
        ? null
        : createJSONRPCErrorResponse(
            id,
            IpcErrorCode.HELLO_REQUIRED,
            'say hello with the protocol version first',
          );
    }
    return next(request, conn);
  };
}

/** Starts the daemon's JSON-RPC server on a Unix socket (0600 in a 0700 dir) or a named pipe. */
export async function startIpcServer(opts: IpcServerOptions): Promise<IpcServer> {
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = opts.log.child({ room: 'ipc' });
  // The library reports handler errors on console.error by default; we log them through pino (toRpcError).
  const rpc = new JSONRPCServer<Connection>({ errorListener: () => {} });
  rpc.mapErrorToJSONRPCErrorResponse = (id, err) => {
    const e = toRpcError(err);
    if (e.code === JSONRPCErrorCode.InternalError) log.error({ err }, 'IPC handler failed');
    return createJSONRPCErrorResponse(id, e.code, e.message, e.data);
  };
  rpc.applyMiddleware(helloGate(opts.version));
  for (const method of Object.keys(opts.handlers) as Exclude<IpcMethod, 'hello'>[]) {
    const handler = opts.handlers[method] as IpcHandler<typeof method>;
    rpc.addMethodAdvanced(method, async (request, conn) => {
      const checked = checkParams(method, request.params);
      if (!checked.ok) {
        return request.id === undefined
          ? null
          : createJSONRPCErrorResponse(request.id, JSONRPCErrorCode.InvalidParams, checked.message, {
              issues: checked.issues,
            });
      }
      const result = await handler(checked.value as never, conn);
      if (method === 'subscribe') {
        // The snapshot goes before the answer: deltas apply on top of it, and a client has it
        // by the time its subscribe resolves.
        conn.sendStatus(await opts.handlers.status({}, conn));
        conn.subscribed = true;
      }
      return request.id === undefined ? null : createJSONRPCSuccessResponse(request.id, result);
    });
  }

  await prepareListenPath(opts.path);
  const connections = new Set<Connection>();
  const budget = new FrameBudget(limits.maxBufferedBytes);
  let nextId = 1;
  let refusedAt = 0;
  const server: Server = createServer((socket: Socket) => {
    if (connections.size >= limits.maxConnections) {
      // At most one warning a minute: a flood must not become a log flood.
      if (Date.now() - refusedAt > 60_000)
        log.warn({ max: limits.maxConnections }, 'connection cap reached: refusing');
      refusedAt = Date.now();
      socket.on('error', () => {});
      socket.end(
        encodeFrame(
          createJSONRPCErrorResponse(
            null,
            IpcErrorCode.TOO_MANY_CLIENTS,
            `the daemon already holds ${limits.maxConnections} connections`,
          ),
        ),
      );
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    const conn = new Connection(nextId++, socket, rpc, limits, log, budget);
    connections.add(conn);
    log.debug({ client: conn.id }, 'client connected');
    conn.onClose(() => {
      connections.delete(conn);
      log.debug({ client: conn.id, name: conn.name }, 'client left');
      opts.onClientClose?.(conn);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new IpcError('IPC_ERR_IN_USE', `a daemon already listens on ${opts.path}`, { cause: err })
          : err,
      ),
    );
    server.listen(opts.path, () => resolve());
  });
  if (!isNamedPipe(opts.path)) await chmod(opts.path, 0o600);
  log.info({ path: opts.path }, 'IPC listening');

  return {
    path: opts.path,
    clients: () => [...connections],
    bufferedBytes: () => budget.used,
    broadcastStatusDelta(delta) {
      for (const c of connections) if (c.subscribed) c.sendStatusDelta(delta);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.close();
      await closed;
      if (!isNamedPipe(opts.path)) await unlink(opts.path).catch(() => {});
    },
  };
}
