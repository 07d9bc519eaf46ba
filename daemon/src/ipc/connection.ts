import type { Socket } from 'node:net';
import {
  createJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCRequests,
  isJSONRPCResponse,
  isJSONRPCResponses,
  JSONRPCClient,
  JSONRPCErrorCode,
  type JSONRPCServer,
  JSONRPCServerAndClient,
} from 'json-rpc-2.0';
import type { Logger } from 'pino';
import type { Sink } from '../hub/types';
import type { ChangeSignal } from '../signal';
import { encodeFrame, type FrameBudget, LineDecoder, notificationFrame } from './framing';
import { type DaemonStatus, IpcErrorCode, type StatusDelta } from './protocol';
import { PendingDelta } from './status-delta';

/** Bounds that keep a slow client from costing memory. */
export interface ConnectionLimits {
  /** Largest frame a client may send. */
  maxFrameBytes: number;
  /** Above this many unsent bytes the client is "busy": the hub coalesces its signals. */
  highWaterBytes: number;
  /** A client busy this long without reading is dropped (code SLOW_CLIENT). */
  stuckMs: number;
  /** Unsent bytes past which the client is dropped at once (it keeps calling, never reads). */
  hardLimitBytes: number;
  /**
   * A connection without a valid hello this long after it opened is closed (HELLO_TIMEOUT):
   * idle connections cost a socket and memory each (issue 13 §4: 10 000 were held forever).
   */
  helloTimeoutMs: number;
  /** Connections held at once; one more is answered TOO_MANY_CLIENTS and closed. */
  maxConnections: number;
  /**
   * Bytes of unfinished frames (no newline yet) held over all connections; the connection whose
   * bytes would pass it is answered OVERLOADED and closed. The per-frame cap alone let 600
   * connections hold 600 MB.
   */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: 1024 * 1024,
  highWaterBytes: 256 * 1024,
  stuckMs: 30_000,
  hardLimitBytes: 4 * 1024 * 1024,
  // A hello is one small frame sent right after connect; 10 s is generous on a loaded machine.
  helloTimeoutMs: 10_000,
  // The tray, a few CLI calls and `watch`es: 128 is far above use, far below harm.
  maxConnections: 128,
  // Sixteen maximal frames in flight at once; each connection still stops at maxFrameBytes.
  maxBufferedBytes: 16 * 1024 * 1024,
};

/**
 * A notification's frame, remembered for the last params object: the hub and the status
 * broadcast hand one object to every subscriber in turn, so it is serialised once, not per client.
 */
function onceFrame(method: string): (params: unknown) => string {
  let last: unknown;
  let frame = '';
  return (params) => {
    if (params !== last) {
      frame = notificationFrame(method, params);
      last = params;
    }
    return frame;
  };
}

const signalFrame = onceFrame('signal');
const statusFrame = onceFrame('status');
const deltaFrame = onceFrame('status.changed');

/** What handlers learn about the caller. */
export interface ClientInfo {
  readonly id: number;
  /** From hello: 'cli', 'tray', … (the desktop sink stays quiet while a tray is subscribed). */
  readonly name: string;
  readonly subscribed: boolean;
  readonly connectedAt: string;
}

/**
 * One connected client: frames in, calls answered through json-rpc-2.0, frames out;
 * notifications (signal, status, status.changed) are written directly, one write per
 * event-loop turn. Also a hub Sink once subscribed (asSink): `deliver` says false when the
 * socket's unsent bytes pass the high-water mark, so the hub coalesces per folder for this
 * client instead of queueing (hub/types.ts).
 */
export class Connection implements ClientInfo {
  readonly id: number;
  readonly connectedAt = new Date().toISOString();
  name = '';
  subscribed = false;
  #ready = false;
  #helloTimer: NodeJS.Timeout | undefined;
  readonly #socket: Socket;
  readonly #rpc: JSONRPCServerAndClient<Connection, void>;
  readonly #decoder: LineDecoder;
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  #busy = false;
  #stuckTimer: NodeJS.Timeout | undefined;
  #drainCallbacks: (() => void)[] = [];
  /** Status deltas held while busy, merged per account (bounded by the account count). */
  readonly #pendingDelta = new PendingDelta();
  /** True while notifications are gathered for one write at the end of this event-loop turn. */
  #corked = false;
  /** Before hello, frames run one at a time so a pipelined call cannot overtake hello. */
  #queue: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(
    id: number,
    socket: Socket,
    server: JSONRPCServer<Connection>,
    limits: ConnectionLimits,
    log: Logger,
    budget?: FrameBudget,
  ) {
    this.id = id;
    this.#socket = socket;
    this.#limits = limits;
    this.#log = log.child({ client: id });
    this.#decoder = new LineDecoder(limits.maxFrameBytes, budget);
    this.#helloTimer = setTimeout(() => {
      this.#log.debug({ client: id }, 'no hello in time: closing');
      this.#fatal(IpcErrorCode.HELLO_TIMEOUT, `no hello within ${limits.helloTimeoutMs} ms`);
    }, limits.helloTimeoutMs);
    this.#helloTimer.unref();
    this.#rpc = new JSONRPCServerAndClient(
      server,
      new JSONRPCClient<void>((payload) => this.#write(payload)),
    );
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (err) =>
      this.#log.debug({ err: { code: (err as NodeJS.ErrnoException).code } }, 'client socket error'),
    );
  }

  /** This client as a hub Sink (after subscribe). */
  asSink(): Sink {
    return {
      name: `ipc:${this.id}:${this.name || 'anonymous'}`,
      deliver: (signal) => this.deliver(signal),
      onDrain: (resume) => this.onDrain(resume),
    };
  }

  /** True once hello succeeded; setting it stops the hello deadline. */
  get ready(): boolean {
    return this.#ready;
  }

  set ready(value: boolean) {
    this.#ready = value;
    if (value) clearTimeout(this.#helloTimer);
  }

  /** Answers with an error (id null) and closes: the connection is not usable any more. */
  #fatal(code: number, message: string): void {
    if (this.#socket.destroyed) return;
    this.#socket.end(encodeFrame(createJSONRPCErrorResponse(null, code, message)));
    // end() waits for the peer to read; one that never reads must not keep the socket.
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
  }

  /** Called when the socket closes (the server registers it). */
  onClose(cb: () => void): void {
    this.#socket.once('close', () => {
      clearTimeout(this.#helloTimer);
      this.#decoder.release();
      clearTimeout(this.#stuckTimer);
      this.#drainCallbacks = [];
      cb();
    });
  }

  /** Bytes written but not yet taken by the kernel: what a slow client costs us. */
  get unsentBytes(): number {
    return this.#socket.writableLength;
  }

  /** Ends the connection once what was written is flushed (after a fatal hello error). */
  endAfterReply(): void {
    this.#closing = true;
  }

  close(): void {
    this.#socket.destroy();
  }

  /** Writes one payload; drops the client when it has stopped reading and keeps calling. */
  #write(payload: unknown): void {
    if (this.#socket.destroyed || this.#pastHardLimit('answers')) return;
    this.#socket.write(encodeFrame(payload));
  }

  /** Drops the client once its unsent bytes pass the hard limit (it keeps asking, never reads). */
  #pastHardLimit(what: string): boolean {
    if (this.#socket.writableLength <= this.#limits.hardLimitBytes) return false;
    this.#drop(`unsent ${what} past the hard limit`);
    return true;
  }

  /**
   * Queues a notification frame. Frames of one event-loop turn (a burst publishes many signals
   * per turn) leave in one writev at setImmediate instead of one syscall each.
   */
  #notify(frame: string): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(() => this.#uncork());
    }
    this.#socket.write(frame);
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#decoder.push(chunk)) {
      if (frame.kind === 'over-budget') {
        this.#log.warn(
          { client: this.id, bytes: frame.bytes },
          'unfinished frames over the daemon-wide cap: closing',
        );
        this.#fatal(
          IpcErrorCode.OVERLOADED,
          `the daemon holds ${this.#limits.maxBufferedBytes} bytes of unfinished frames already; send whole lines`,
        );
        return;
      }
      if (frame.kind === 'too-large') {
        this.#write(
          createJSONRPCErrorResponse(
            null,
            IpcErrorCode.FRAME_TOO_LARGE,
            `frame of ${frame.bytes}+ bytes exceeds the limit of ${this.#limits.maxFrameBytes}`,
          ),
        );
        this.#socket.end();
        return;
      }
      const run = () => this.#handle(frame.text);
      if (this.ready) void run();
      else this.#queue = this.#queue.then(run);
    }
  }

  async #handle(text: string): Promise<void> {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      // JSON-RPC 2.0 §5: parse error, id null. The connection stays usable: frames are
      // newline-delimited, so the next line starts clean.
      this.#write(createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, 'Parse error'));
      return;
    }
    const valid =
      isJSONRPCRequest(payload) ||
      isJSONRPCRequests(payload) ||
      isJSONRPCResponse(payload) ||
      isJSONRPCResponses(payload);
    if (!valid || (Array.isArray(payload) && payload.length === 0)) {
      this.#write(createJSONRPCErrorResponse(null, JSONRPCErrorCode.InvalidRequest, 'Invalid Request'));
      return;
    }
    try {
      await this.#rpc.receiveAndSend(payload, this, undefined);
    } catch (err) {
      this.#log.warn({ err: { message: (err as Error).message } }, 'could not answer a frame');
    }
    if (this.#closing) this.#socket.end();
  }

  /**
   * Takes the signal — always: a false answer means "busy now", and the hub holds what follows
   * (Sink contract, hub/types.ts). The socket can fill without the hub knowing (a large status
   * frame), so refusing here would lose the signal. A caller that ignores false runs into the
   * hard limit and the client is dropped.
   */
  deliver(signal: ChangeSignal): boolean {
    if (this.#socket.destroyed) return true; // gone: nothing to coalesce for
    if (this.#pastHardLimit('signals')) return true;
    this.#notify(signalFrame(signal));
    return !this.#isFull();
  }

  /**
   * The full status, once per subscribe, written even when busy (like an answer): what is held
   * is older than it, so it is dropped.
   */
  sendStatus(status: DaemonStatus): void {
    if (this.#pastHardLimit('statuses')) return;
    this.#pendingDelta.clear();
    this.#notify(statusFrame(status));
  }

  /** A status delta; while busy, merged into the held one. */
  sendStatusDelta(delta: StatusDelta): void {
    if (this.#isFull()) {
      this.#pendingDelta.add(delta);
      return;
    }
    this.#notify(deltaFrame(delta));
  }

  onDrain(resume: () => void): void {
    this.#drainCallbacks.push(resume);
  }

  #isFull(): boolean {
    if (this.#socket.writableLength <= this.#limits.highWaterBytes) return false;
    // Corked frames count only once the kernel has refused them: hand them over first.
    this.#uncork();
    if (this.#socket.writableLength <= this.#limits.highWaterBytes) return false;
    if (!this.#busy) {
      this.#busy = true;
      this.#stuckTimer = setTimeout(
        () => this.#drop(`not reading for ${this.#limits.stuckMs} ms`),
        this.#limits.stuckMs,
      );
      this.#stuckTimer.unref();
    }
    return true;
  }

  #onDrain(): void {
    if (!this.#busy) return;
    this.#busy = false;
    clearTimeout(this.#stuckTimer);
    this.#stuckTimer = undefined;
    // Held signals first: the held status delta can wait (later changes merge into it), and
    // after a long stall it can be large enough to make the client busy again before them.
    for (const cb of this.#drainCallbacks) cb();
    const delta = this.#pendingDelta.take();
    if (delta) this.sendStatusDelta(delta);
  }

  #drop(why: string): void {
    if (this.#socket.destroyed) return;
    this.#log.warn({ client: this.id, name: this.name, why }, 'dropping slow client');
    // Best effort: the client is not reading, so this frame may never arrive.
    this.#socket.write(
      notificationFrame('error', { code: IpcErrorCode.SLOW_CLIENT, message: `dropped: ${why}` }),
    );
    this.#socket.destroy();
  }
}
