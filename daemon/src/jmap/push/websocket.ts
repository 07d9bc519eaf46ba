import { Dispatcher, type WebSocket } from 'undici';
import type { Clock } from '../../clock';
import { JmapError, safeUrl } from '../errors';
import type { PushChannel, PushEnd, PushHandlers } from './channel';
import { parseStateChange, PUSH_TYPES } from './statechange';

/** WebSocket readyState OPEN (WHATWG WebSockets §3). */
const OPEN = 1;

/**
 * undici's WebSocket class, imported on first use: the daemon's bundle leaves it out of the slim
 * undici every account loads (scripts/build-daemon.ts), so only WebSocket push pays for it.
 */
async function loadWebSocket(): Promise<typeof WebSocket> {
  const mod = await import('undici/lib/web/websocket/websocket.js');
  return mod.WebSocket ?? mod.default.WebSocket;
}

/**
 * The account's dispatcher as undici's WebSocket sees it, with our frame caps: undici reads
 * `webSocketOptions` from the dispatcher (128 MiB by default) and checks a frame's announced
 * length against it before buffering — so a hostile frame stops at our cap, not at the heap.
 * Requests go to the shared dispatcher; closing this view leaves it open (it is not ours).
 */
class CappedDispatcher extends Dispatcher {
  readonly #inner: Dispatcher;
  readonly #max: number;

  constructor(inner: Dispatcher, max: number) {
    super();
    this.#inner = inner;
    this.#max = max;
  }

  get webSocketOptions(): { maxFragments: number; maxPayloadSize: number } {
    return { maxFragments: 1024, maxPayloadSize: this.#max };
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#inner.dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return callback();
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    if (callback) return (callback as () => void)();
    return Promise.resolve();
  }
}

export interface WebSocketPushOptions {
  /** The session's urn:ietf:params:jmap:websocket `url`. */
  url: string;
  accountId: string;
  /**
   * Seconds between our Core/echo keep-alives. RFC 8887 has no ping of its own; an echo that gets
   * no answer within 2× this + grace means the connection is dead (stalled).
   */
  pingSeconds: number;
  graceMs: number;
  /** Deadline for the opening handshake, ms. */
  connectMs: number;
  /** Largest message accepted, bytes; a larger one closes the connection (1009). */
  maxMessageBytes?: number;
  /** Data types for WebSocketPushEnable's `dataTypes`; default PUSH_TYPES (Email, Mailbox). */
  types?: readonly string[];
  dispatcher: Dispatcher;
  authorization(): Promise<string>;
  clock: Clock;
}

/**
 * RFC 8887 push: a WebSocket with subprotocol `jmap`, a WebSocketPushEnable for Email and
 * Mailbox (§4.3.5), then StateChange objects. Node 20 has no global WebSocket without a flag;
 * undici's is the same implementation and takes our dispatcher (TLS, proxy) and headers
 * (Authorization, RFC 8887 §4.2: the usual HTTP authentication of the upgrade request).
 */
export function openWebSocket(opts: WebSocketPushOptions, on: PushHandlers): PushChannel {
  const started = opts.clock.now();
  const url = opts.url;
  let events = 0;
  let timer: unknown;
  let keepAlive: unknown;
  let closed = false;
  let ws: WebSocket | undefined;
  let settle!: (e: PushEnd) => void;
  const ended = new Promise<PushEnd>((r) => {
    settle = r;
  });
  const stallMs = opts.pingSeconds * 2000 + opts.graceMs;
  const max = opts.maxMessageBytes ?? 1024 * 1024;

  /** Set once the channel ended: no timer is armed after that (a late message, a late open). */
  let done = false;
  const finish = (error?: unknown) => {
    done = true;
    if (timer !== undefined) opts.clock.clearTimeout(timer);
    if (keepAlive !== undefined) opts.clock.clearTimeout(keepAlive);
    timer = keepAlive = undefined;
    settle({ events, openMs: opts.clock.now() - started, ...(error && !closed ? { error } : {}) });
    try {
      ws?.close();
    } catch {
      // already closing
    }
  };
  const fail = (message: string, code: 'JMAP_ERR_PUSH' | 'JMAP_ERR_TOO_LARGE' = 'JMAP_ERR_PUSH') =>
    finish(new JmapError(code, message, { request: 'WebSocket', url: safeUrl(url) }));

  const armStall = (ms: number, why: string) => {
    if (done) return;
    if (timer !== undefined) opts.clock.clearTimeout(timer);
    timer = opts.clock.setTimeout(() => fail(why), ms);
  };
  const ping = () => {
    if (done) return;
    keepAlive = opts.clock.setTimeout(() => {
      if (ws?.readyState !== OPEN) return;
      ws.send(
        JSON.stringify({
          '@type': 'Request',
          id: 'keepalive',
          using: ['urn:ietf:params:jmap:core'],
          methodCalls: [['Core/echo', {}, 'k']],
        }),
      );
      ping();
    }, opts.pingSeconds * 1000);
  };

  void (async () => {
    let authorization: string;
    try {
      authorization = await opts.authorization();
    } catch (err) {
      finish(err);
      return;
    }
    if (closed) return finish();
    try {
      const WebSocketClass = await loadWebSocket();
      if (closed) return finish();
      ws = new WebSocketClass(url, {
        protocols: 'jmap',
        dispatcher: new CappedDispatcher(opts.dispatcher, max),
        headers: { authorization },
      });
    } catch (err) {
      fail(`cannot open ${safeUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    armStall(opts.connectMs, `no WebSocket handshake within ${Math.round(opts.connectMs / 1000)} s`);
    ws.addEventListener('open', () => {
      if (done) return;
      if (ws?.protocol !== 'jmap')
        return fail(`the server did not accept the "jmap" subprotocol (RFC 8887 §4.2)`);
      ws.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: [...(opts.types ?? PUSH_TYPES)] }));
      armStall(stallMs, `the WebSocket answered nothing for ${Math.round(stallMs / 1000)} s: stalled`);
      ping();
      on.onOpen();
    });
    ws.addEventListener('message', (ev) => {
      if (done) return;
      const data = typeof ev.data === 'string' ? ev.data : '';
      if (data.length > max)
        return fail(`a WebSocket message is larger than ${max} bytes`, 'JMAP_ERR_TOO_LARGE');
      armStall(stallMs, `the WebSocket answered nothing for ${Math.round(stallMs / 1000)} s: stalled`);
      events++;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        return;
      }
      const states = parseStateChange(json, opts.accountId);
      if (states) on.onChange(states);
    });
    ws.addEventListener('error', (ev) => {
      const e = ev as { error?: unknown; message?: unknown };
      const why =
        e.error instanceof Error && e.error.message
          ? e.error.message
          : typeof e.message === 'string' && e.message
            ? e.message
            : `connection failed (frames are capped at ${max} bytes)`;
      fail(`WebSocket error: ${why}`);
    });
    ws.addEventListener('close', (ev) => {
      if (ev.code === 1000 || closed) finish();
      else fail(`the WebSocket closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
    });
  })();

  return {
    ended,
    close() {
      if (closed) return;
      closed = true;
      finish();
    },
  };
}
