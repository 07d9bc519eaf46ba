import { type IpcClient, connect, SeenIds } from '../../../daemon/src/ipc/client';
import { IpcError } from '../../../daemon/src/ipc/errors';
import {
  type DaemonStatus,
  IpcErrorCode,
  type IpcMethod,
  type IpcMethods,
} from '../../../daemon/src/ipc/protocol';
import type { ChangeSignal } from '../../../daemon/src/signal';
import { type BackoffOptions, backoffDelay } from '../../../daemon/src/retry/backoff';
import { TrayError } from '../errors';
import type { ConnectionState } from '../ipc-contract';

export interface DaemonConnectionOptions {
  /** The daemon's socket or named pipe (daemon/src/ipc/paths.ts defaultIpcPath). */
  socketPath: string;
  /**
   * Starts the daemon when nothing listens. Called at most once per `spawnCooldownMs`, so a
   * daemon that dies at start-up is not restarted in a tight loop.
   */
  startDaemon?: () => void;
  spawnCooldownMs?: number;
  /** Retry schedule while the daemon is unreachable; default 500 ms doubling to 30 s, jittered. */
  backoff?: BackoffOptions;
  /** Per-call timeout passed to the client. */
  callTimeoutMs?: number;
  now?: () => number;
}

type Listener<T> = (value: T) => void;

/** Plain words for why the daemon cannot be reached, for the tray's menu and the settings page. */
export function unreachableReason(err: unknown): string {
  if (err instanceof IpcError) {
    switch (err.code) {
      case 'IPC_ERR_NOT_RUNNING':
        return 'The daemon is not running';
      case 'IPC_ERR_PROTOCOL':
        return 'The daemon speaks another protocol version; update Tidings';
      case 'IPC_ERR_TIMEOUT':
        return 'The daemon does not answer';
      case 'IPC_ERR_UNSAFE_PATH':
        return "The daemon's socket is not safe to use";
      default:
        return 'The connection to the daemon failed';
    }
  }
  return 'The connection to the daemon failed';
}

/** The first issue's field path from a JSON-RPC error's data (string or path array). */
function issueField(data: unknown): string | undefined {
  const issue = (data as { issues?: { path?: unknown }[] } | undefined)?.issues?.[0];
  if (typeof issue?.path === 'string') return issue.path;
  if (Array.isArray(issue?.path)) return issue.path.join('.');
  return undefined;
}

/** Maps the client's error to the tray's, keeping the JSON-RPC code and the field the daemon named. */
export function toTrayError(err: unknown): TrayError {
  if (err instanceof TrayError) return err;
  if (err instanceof IpcError && err.code === 'IPC_ERR_REMOTE') {
    const opts = { cause: err, ...(err.rpcCode === undefined ? {} : { rpcCode: err.rpcCode }) };
    // −32602 (params) and INVALID_CONFIG both name the offending field in data.issues.
    if (err.rpcCode === -32602 || err.rpcCode === IpcErrorCode.INVALID_CONFIG) {
      const field = issueField(err.data);
      return new TrayError('TRAY_ERR_INVALID_INPUT', err.message, { ...opts, ...(field ? { field } : {}) });
    }
    if (err.rpcCode === -32601) {
      return new TrayError(
        'TRAY_ERR_UNSUPPORTED',
        `the running daemon does not offer this (${err.message}); update it`,
        opts,
      );
    }
    return new TrayError('TRAY_ERR_DAEMON', err.message, opts);
  }
  return new TrayError('TRAY_ERR_DAEMON_UNREACHABLE', `${unreachableReason(err)}.`, { cause: err });
}

/**
 * The tray's one link to the daemon. It owns the retry schedule itself (rather than the
 * client's built-in reconnect) because the tray shows it: "retrying in 8 s", a "Retry now"
 * item, and starting the daemon when nothing listens. Wire and hello are the daemon's own
 * typed client (daemon/src/ipc/client.ts).
 */
export class DaemonConnection {
  readonly #opts: DaemonConnectionOptions;
  readonly #now: () => number;
  #client: IpcClient | undefined;
  #state: ConnectionState = { state: 'connecting', attempt: 0 };
  #status: DaemonStatus | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastSpawn = Number.NEGATIVE_INFINITY;
  #stopped = true;
  #connecting = false;
  readonly #stateListeners = new Set<Listener<ConnectionState>>();
  readonly #statusListeners = new Set<Listener<DaemonStatus>>();
  readonly #signalListeners = new Set<Listener<ChangeSignal>>();
  /**
   * The last signal shown, kept across connections: after a daemon restart the tray subscribes
   * from it and gets what it missed under the ids it had live, each once (issue 13 §8).
   */
  #lastSignalId: string | undefined;
  readonly #seen = new SeenIds();

  constructor(opts: DaemonConnectionOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The daemon's last status, or undefined while it has not sent one on this connection. */
  get status(): DaemonStatus | undefined {
    return this.#status;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#attemptNow();
  }

  /** "Retry now" from the menu: skip the rest of the back-off wait. */
  reconnectNow(): void {
    if (this.#stopped || this.#client) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#attemptNow();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    client?.close();
  }

  /** A typed call; rejects with TrayError (TRAY_ERR_DAEMON_UNREACHABLE when not connected). */
  async call<M extends IpcMethod>(
    method: M,
    params: IpcMethods[M]['params'],
  ): Promise<IpcMethods[M]['result']> {
    const client = this.#client;
    if (!client) throw new TrayError('TRAY_ERR_DAEMON_UNREACHABLE', this.#unreachableMessage());
    try {
      return await client.call(method, params);
    } catch (err) {
      throw toTrayError(err);
    }
  }

  onState(cb: Listener<ConnectionState>): () => void {
    this.#stateListeners.add(cb);
    return () => this.#stateListeners.delete(cb);
  }

  onStatus(cb: Listener<DaemonStatus>): () => void {
    this.#statusListeners.add(cb);
    return () => this.#statusListeners.delete(cb);
  }

  onSignal(cb: Listener<ChangeSignal>): () => void {
    this.#signalListeners.add(cb);
    return () => this.#signalListeners.delete(cb);
  }

  #unreachableMessage(): string {
    return this.#state.state === 'unreachable'
      ? `${this.#state.reason}; retrying at ${this.#state.retryAt}.`
      : 'Not connected to the daemon yet.';
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    for (const l of this.#stateListeners) l(state);
  }

  #setStatus(status: DaemonStatus): void {
    this.#status = status;
    for (const l of this.#statusListeners) l(status);
  }

  async #attemptNow(): Promise<void> {
    if (this.#connecting || this.#stopped) return;
    this.#connecting = true;
    this.#setState({ state: 'connecting', attempt: this.#attempt });
    let client: IpcClient | undefined;
    try {
      client = await connect(this.#opts.socketPath, {
        client: 'tray',
        ...(this.#opts.callTimeoutMs ? { callTimeoutMs: this.#opts.callTimeoutMs } : {}),
      });
      client.onSignal((s) => {
        if (!this.#seen.add(s.id)) return;
        this.#lastSignalId = s.id;
        for (const l of this.#signalListeners) l(s);
      });
      // The client merges the daemon's status deltas into the subscribe snapshot: whole statuses here.
      client.onStatus((s) => {
        if (this.#client === client) this.#setStatus(s);
      });
      // Subscribing tells the daemon a tray is listening, so its own desktop sink stays quiet.
      await client.subscribe(false, this.#lastSignalId);
      // Before the first signal, the daemon's feed position is where a reconnect resumes.
      this.#lastSignalId = client.cursor ?? this.#lastSignalId;
      const status = client.status;
      if (this.#stopped) {
        client.close();
        return;
      }
      this.#client = client;
      this.#attempt = 0;
      const live = client;
      client.onConnection((up) => {
        if (!up) this.#lost(live);
      });
      this.#setState({ state: 'connected' });
      if (status) this.#setStatus(status);
      // The socket may have dropped between subscribe and now; onConnection fires only on change.
      if (!live.connected) this.#lost(live);
    } catch (err) {
      client?.close();
      this.#failed(err);
    } finally {
      this.#connecting = false;
    }
  }

  #lost(client: IpcClient): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.close();
    this.#status = undefined;
    if (this.#stopped) return;
    // The daemon restarting is the usual cause: try again at once, then back off.
    this.#setState({ state: 'connecting', attempt: 1 });
    this.#attempt = 1;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attemptNow();
    }, 0);
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    const notRunning = err instanceof IpcError && err.code === 'IPC_ERR_NOT_RUNNING';
    const cooldown = this.#opts.spawnCooldownMs ?? 30_000;
    if (notRunning && this.#opts.startDaemon && this.#now() - this.#lastSpawn >= cooldown) {
      this.#lastSpawn = this.#now();
      this.#opts.startDaemon();
    }
    const delay = backoffDelay(
      this.#attempt++,
      undefined,
      this.#opts.backoff ?? { baseMs: 500, capMs: 30_000 },
    );
    this.#setState({
      state: 'unreachable',
      attempt: this.#attempt,
      reason: unreachableReason(err),
      retryAt: new Date(this.#now() + delay).toISOString(),
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attemptNow();
    }, delay);
  }
}
