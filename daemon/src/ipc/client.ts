import { createConnection, type Socket } from 'node:net';
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import { type BackoffOptions, backoffDelay } from '../retry/backoff';
import { IpcError } from './errors';
import { encodeFrame, LineDecoder } from './framing';
import { checkSocketPath } from './paths';
import {
  type DaemonStatus,
  IPC_PROTOCOL_VERSION,
  IpcErrorCode,
  type IpcMethod,
  type IpcMethods,
  type StatusDelta,
} from './protocol';
import type { ChangeSignal } from '../signal';
import { applyStatusDelta } from './status-delta';

export interface IpcClientOptions {
  /** Sent in hello: 'cli', 'tray' (a subscribed tray silences the daemon's desktop sink). */
  client?: string;
  /** Reconnect with back-off after the daemon goes away (the tray); the CLI fails fast instead. */
  reconnect?: boolean;
  /**
   * With `reconnect`: wait (retrying) for the first connection too — the tray, which may start
   * before the daemon. Default true; `tidings watch` says false: a daemon that is not running
   * at all is exit 3 at once, one that restarts later is waited for.
   */
  waitForDaemon?: boolean;
  /**
   * Drop a signal whose id was seen before (default true). Off only to observe the daemon's own
   * exactly-once delivery (the kill -9 test).
   */
  dedupe?: boolean;
  /** Back-off for reconnects; default 250 ms doubling to 10 s, jittered. */
  backoff?: BackoffOptions;
  /** Per-call timeout; default 60 s (account tests talk to servers). */
  callTimeoutMs?: number;
  maxFrameBytes?: number;
}

type Listener<T> = (value: T) => void;

/**
 * Ids of the signals seen last, bounded: a consumer's own de-duplication on top of the daemon's
 * (a replay from a cursor overlapping what already arrived, or a redelivery after a crash
 * between a socket write and the hand-off being known). FIFO of `max` ids.
 */
export class SeenIds {
  readonly #ids = new Set<string>();
  readonly #max: number;

  constructor(max = 4096) {
    this.#max = max;
  }

  /** True the first time an id is offered; false for a repeat. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#max)
      for (const old of this.#ids) {
        this.#ids.delete(old);
        break;
      }
    return true;
  }
}

/**
 * The client's frame cap. Larger than the daemon's (which guards against untrusted clients):
 * a status answer for 10 000 accounts is several MB, and the daemon is the trusted side.
 */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Connects after checking who owns the socket and its directory (paths.ts, checkSocketPath). */
async function connectSocket(path: string): Promise<Socket> {
  await checkSocketPath(path);
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const notRunning = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(
        new IpcError(
          notRunning ? 'IPC_ERR_NOT_RUNNING' : 'IPC_ERR_CLOSED',
          notRunning
            ? `the daemon is not running (nothing listens on ${path}); start it with \`tidings daemon\``
            : `cannot connect to ${path} (${err.code})`,
          { cause: err },
        ),
      );
    });
  });
}

/** Turns a JSON-RPC error answer into IpcError with the wire code kept. */
function fromRpc(err: unknown): IpcError {
  if (err instanceof IpcError) return err;
  // Code 0 is json-rpc-2.0's own: a request timeout or rejectAllPendingRequests on close.
  if (err instanceof JSONRPCErrorException && err.code === 0)
    return new IpcError(/timeout/i.test(err.message) ? 'IPC_ERR_TIMEOUT' : 'IPC_ERR_CLOSED', err.message);
  if (err instanceof JSONRPCErrorException)
    return new IpcError('IPC_ERR_REMOTE', err.message, { rpcCode: err.code, data: err.data });
  return new IpcError('IPC_ERR_CLOSED', (err as Error).message, { cause: err });
}

/**
 * A typed client of the daemon, used by the CLI and the tray: `call('status', {})` is checked
 * against protocol.ts at compile time. With `reconnect`, it survives daemon restarts: it
 * reconnects with jittered back-off, says hello again and re-subscribes.
 */
export class IpcClient {
  readonly path: string;
  readonly #opts: Required<Omit<IpcClientOptions, 'backoff'>> & { backoff: BackoffOptions };
  #socket: Socket | undefined;
  #rpc: JSONRPCServerAndClient<void, void> | undefined;
  #daemonVersion = '';
  #signalListeners = new Set<Listener<ChangeSignal>>();
  #statusListeners = new Set<Listener<DaemonStatus>>();
  /** The subscribe snapshot with every delta since applied; undefined until subscribed. */
  #status: DaemonStatus | undefined;
  #connListeners = new Set<Listener<boolean>>();
  #subscribed: { replay?: boolean; after?: string } | undefined;
  /** The id of the last signal handed to listeners: the cursor a reconnect resumes from. */
  #lastSignalId: string | undefined;
  /** The feed position the last subscribe answered, for a reconnect before any signal. */
  #cursor: string | undefined;
  readonly #seen = new SeenIds();
  #closed = false;
  /** True once hello and the subscription on the current socket succeeded. */
  #up = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(path: string, opts: IpcClientOptions) {
    this.path = path;
    this.#opts = {
      client: opts.client ?? 'cli',
      reconnect: opts.reconnect ?? false,
      backoff: opts.backoff ?? { baseMs: 250, capMs: 10_000 },
      waitForDaemon: opts.waitForDaemon ?? true,
      dedupe: opts.dedupe ?? true,
      callTimeoutMs: opts.callTimeoutMs ?? 60_000,
      maxFrameBytes: opts.maxFrameBytes ?? MAX_ANSWER_BYTES,
    };
  }

  /**
   * Connects and says hello. Without `reconnect` a missing daemon is IPC_ERR_NOT_RUNNING at
   * once; with it, the first connection is retried with back-off too (the tray starts first).
   */
  static async connect(path: string, opts: IpcClientOptions = {}): Promise<IpcClient> {
    const c = new IpcClient(path, opts);
    if (!c.#opts.reconnect || !c.#opts.waitForDaemon) {
      await c.#open();
      return c;
    }
    await new Promise<void>((resolve) => {
      const unsub = c.onConnection((up) => {
        if (up) {
          unsub();
          resolve();
        }
      });
      c.#tryOpen();
    });
    return c;
  }

  /** The daemon's version from hello. */
  get daemonVersion(): string {
    return this.#daemonVersion;
  }

  get connected(): boolean {
    return this.#rpc !== undefined;
  }

  async #open(): Promise<void> {
    const socket = await connectSocket(this.path);
    const decoder = new LineDecoder(this.#opts.maxFrameBytes);
    // The daemon never calls us: notifications are dispatched by #notification, answers go here.
    const rpc = new JSONRPCServerAndClient<void, void>(
      new JSONRPCServer<void>({ errorListener: () => {} }),
      new JSONRPCClient<void>((payload) => {
        if (socket.destroyed) throw new IpcError('IPC_ERR_CLOSED', 'connection to the daemon closed');
        socket.write(encodeFrame(payload));
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      // A socket that is no longer ours (a failed attempt) must not deliver anything twice.
      if (this.#socket !== socket) return;
      for (const frame of decoder.push(chunk)) {
        // The client's decoder has no budget: 'over-budget' cannot happen here.
        if (frame.kind !== 'frame') {
          socket.destroy(
            new IpcError(
              'IPC_ERR_PROTOCOL',
              `the daemon sent a frame over ${this.#opts.maxFrameBytes} bytes`,
            ),
          );
          return;
        }
        let payload: { method?: unknown; id?: unknown; params?: unknown };
        try {
          payload = JSON.parse(frame.text);
        } catch {
          continue; // a daemon never sends broken JSON; ignore rather than crash a tray
        }
        if (typeof payload?.method === 'string' && payload.id === undefined)
          this.#notification(payload.method, payload.params);
        else rpc.receiveAndSend(payload, undefined, undefined).catch(() => {});
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose(socket));
    this.#socket = socket;
    this.#rpc = rpc;
    try {
      const hello = (await this.#request('hello', {
        protocol: IPC_PROTOCOL_VERSION,
        client: this.#opts.client,
      })) as IpcMethods['hello']['result'];
      this.#daemonVersion = hello.daemon;
    } catch (err) {
      socket.destroy();
      const e = fromRpc(err);
      if (e.rpcCode === IpcErrorCode.PROTOCOL_MISMATCH)
        throw new IpcError('IPC_ERR_PROTOCOL', e.message, { rpcCode: e.rpcCode, data: e.data });
      throw e;
    }
    try {
      if (this.#subscribed) await this.#resubscribe();
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.#up = true;
    this.#attempt = 0;
    for (const l of this.#connListeners) l(true);
  }

  /**
   * Subscribes again after a reconnect from the last signal seen (issue 13 §8): what the daemon
   * handed on meanwhile comes first, under the ids it had live. A daemon without cursors
   * (older protocol 2) refuses `after` with −32602: then plainly, as before.
   */
  async #resubscribe(): Promise<void> {
    const sub = this.#subscribed ?? {};
    const after = this.#lastSignalId ?? this.#cursor ?? sub.after;
    let answer: IpcMethods['subscribe']['result'];
    if (after === undefined) {
      answer = (await this.#request('subscribe', sub)) as typeof answer;
    } else {
      try {
        answer = (await this.#request('subscribe', { after })) as typeof answer;
      } catch (err) {
        if (!(err instanceof IpcError && err.rpcCode === -32602)) throw err;
        answer = (await this.#request('subscribe', sub.replay ? { replay: true } : {})) as typeof answer;
      }
    }
    // Before any signal arrives, the daemon's feed position is the cursor to resume from.
    if (answer?.cursor !== undefined) this.#cursor = answer.cursor;
  }

  /**
   * Handled at once, in frame order (not through json-rpc-2.0's promise chain): the subscribe
   * snapshot is in place before its answer resolves and before any delta applies.
   */
  #notification(method: string, params: unknown): void {
    if (method === 'signal') {
      const signal = params as ChangeSignal;
      if (typeof signal?.id === 'string') {
        // Seen already: one id, one announcement.
        if (!this.#seen.add(signal.id) && this.#opts.dedupe) return;
        this.#lastSignalId = signal.id;
      }
      for (const l of this.#signalListeners) l(signal);
      return;
    }
    if (method === 'status') this.#status = params as DaemonStatus;
    else if (method === 'status.changed' && this.#status)
      this.#status = applyStatusDelta(this.#status, params as StatusDelta);
    else return; // `error` (SLOW_CLIENT before the daemon drops us): the close handles it
    for (const l of this.#statusListeners) l(this.#status);
  }

  #tryOpen(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#open().catch(() => {
      // One retry chain only: a close during the attempt schedules nothing itself (#onClose).
      if (this.#closed || this.#timer !== undefined) return;
      const delay = backoffDelay(this.#attempt++, undefined, this.#opts.backoff);
      this.#timer = setTimeout(() => this.#tryOpen(), delay);
    });
  }

  #onClose(socket: Socket): void {
    if (this.#socket !== socket) return;
    const wasUp = this.#up;
    this.#up = false;
    this.#rpc?.rejectAllPendingRequests('connection to the daemon closed');
    this.#rpc = undefined;
    this.#socket = undefined;
    this.#status = undefined;
    if (wasUp) for (const l of this.#connListeners) l(false);
    // Only a connection that was fully up schedules a reconnect here; an attempt that fails
    // half-way is retried by #tryOpen's catch. Two would mean two connections subscribed at
    // once, and every signal twice.
    if (wasUp && this.#opts.reconnect && !this.#closed && this.#timer === undefined) {
      const delay = backoffDelay(this.#attempt++, undefined, this.#opts.backoff);
      this.#timer = setTimeout(() => this.#tryOpen(), delay);
    }
  }

  async #request(method: string, params: unknown): Promise<unknown> {
    const rpc = this.#rpc;
    if (!rpc) throw new IpcError('IPC_ERR_CLOSED', 'not connected to the daemon');
    try {
      return await rpc.timeout(this.#opts.callTimeoutMs).request(method, params, undefined);
    } catch (err) {
      const e = fromRpc(err);
      if (e.code === 'IPC_ERR_TIMEOUT')
        throw new IpcError('IPC_ERR_TIMEOUT', `no answer to ${method} within ${this.#opts.callTimeoutMs} ms`);
      throw e;
    }
  }

  /** Calls a method; rejects with IpcError (IPC_ERR_REMOTE carries the JSON-RPC code). */
  call<M extends IpcMethod>(method: M, params: IpcMethods[M]['params']): Promise<IpcMethods[M]['result']> {
    return this.#request(method, params) as Promise<IpcMethods[M]['result']>;
  }

  /**
   * Subscribes to signals and status changes; kept across reconnects, each of which resumes
   * from the last signal seen. `after` starts from a cursor of the caller's own (a signal id it
   * saw before); `replay` from the latest 50. When it resolves, `status` holds the daemon's
   * snapshot.
   */
  async subscribe(replay = false, after?: string): Promise<void> {
    this.#subscribed = after !== undefined ? { after } : replay ? { replay } : {};
    await this.#resubscribe();
  }

  /**
   * Where a new subscription should resume from: the id of the last signal handed to
   * `onSignal` listeners, else the feed position the daemon answered to subscribe.
   */
  get cursor(): string | undefined {
    return this.#lastSignalId ?? this.#cursor;
  }

  onSignal(cb: Listener<ChangeSignal>): () => void {
    this.#signalListeners.add(cb);
    return () => this.#signalListeners.delete(cb);
  }

  /** The daemon's current status while subscribed (snapshot plus deltas), else undefined. */
  get status(): DaemonStatus | undefined {
    return this.#status;
  }

  /** The whole status after the subscribe snapshot and after each delta merged into it. */
  onStatus(cb: Listener<DaemonStatus>): () => void {
    this.#statusListeners.add(cb);
    return () => this.#statusListeners.delete(cb);
  }

  /** true on (re)connect after hello, false when the connection drops. */
  onConnection(cb: Listener<boolean>): () => void {
    this.#connListeners.add(cb);
    return () => this.#connListeners.delete(cb);
  }

  /** Resolves when the daemon closes the connection (the CLI's `watch` waits on it). */
  closed(): Promise<void> {
    if (!this.#socket) return Promise.resolve();
    const socket = this.#socket;
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.destroy();
  }
}

/** Connects to the daemon at `path` and says hello. */
export function connect(path: string, opts?: IpcClientOptions): Promise<IpcClient> {
  return IpcClient.connect(path, opts);
}
