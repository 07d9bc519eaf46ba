import type { Dispatcher } from 'undici';
import { NetError } from './errors';
import { reusedSocketDied } from './resend';

/** One buffered HTTP exchange. */
export interface ExchangeOptions {
  method: 'GET' | 'POST' | 'OPTIONS';
  headers: Record<string, string>;
  body?: Buffer;
  /** Deadline for the response headers and for each gap in the body, ms (undici's own timers). */
  headersTimeout?: number;
  bodyTimeout?: number;
  /**
   * Total deadline for the whole exchange, headers and body, ms: a server trickling one byte
   * every few seconds never trips a gap timer (issue 13). Before the headers undici's
   * `headersTimeout` (capped to this) keeps it, so a parked Ping costs no timer of ours.
   */
  deadlineMs?: number;
  /** Largest body accepted, bytes: checked on Content-Length and as each chunk arrives, before buffering. */
  maxBytes?: number;
  /** Told when the request goes out again after a reused socket died (a Ping's clock restarts). */
  onResend?: () => void;
  signal?: AbortSignal;
}

/** The answer: status, headers (lower-case names, parsed on first read) and the whole body. */
export interface ExchangeResponse {
  statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

type Abort = (reason?: Error) => void;

/**
 * A dispatch handler that buffers the body. undici's `request()` builds a Readable stream, a
 * RequestHandler and an abort listener per request; a daemon holding thousands of parked Pings
 * (issue 5's scale bench) pays for each of those per account and per change. This is undici's
 * own handler interface (Dispatcher.dispatch), so connection reuse, timeouts and TLS are
 * undici's; only the buffering is ours.
 */
class BufferingHandler implements Dispatcher.DispatchHandler {
  statusCode = 0;
  #raw: Buffer[] = [];
  #chunks: Buffer[] = [];
  #size = 0;
  #abort: Abort | undefined;
  #signal: AbortSignal | undefined;
  #resolve: (r: ExchangeResponse) => void;
  #reject: (e: unknown) => void;
  #dispatcher: Dispatcher;
  #request: Dispatcher.DispatchOptions;
  #max: number;
  #deadlineMs: number;
  /** Date.now() by which the whole answer must be in; 0 for none. */
  #deadlineAt: number;
  #timer: NodeJS.Timeout | undefined;
  #onResend: (() => void) | undefined;
  responded = false;
  resent = false;
  sentAt = 0;

  constructor(
    dispatcher: Dispatcher,
    request: Dispatcher.DispatchOptions,
    opts: ExchangeOptions,
    resolve: (r: ExchangeResponse) => void,
    reject: (e: unknown) => void,
  ) {
    this.#dispatcher = dispatcher;
    this.#request = request;
    this.#max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#deadlineMs = opts.deadlineMs ?? 0;
    this.#onResend = opts.onResend;
    this.#deadlineAt = opts.deadlineMs !== undefined ? Date.now() + opts.deadlineMs : 0;
    this.#resolve = resolve;
    this.#reject = reject;
    if (opts.signal) {
      this.#signal = opts.signal;
      inFlight(opts.signal).add(this);
    }
  }

  /** Hands the request to the dispatcher (again, for a resend). */
  send(): void {
    this.#dispatcher.dispatch(this.#request, this);
  }

  /** The caller's signal fired. */
  cancel(): void {
    this.#abort?.(this.#signal?.reason);
  }

  onConnect(abort: Abort): void {
    this.sentAt = Date.now();
    if (this.#signal?.aborted) abort(this.#signal.reason);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.responded = true;
    this.statusCode = statusCode;
    this.#raw = rawHeaders;
    const length = contentLength(rawHeaders);
    if (length !== undefined && length > this.#max) {
      this.#fail(tooLarge(this.#max, length));
      return false;
    }
    if (this.#deadlineAt !== 0) {
      const left = this.#deadlineAt - Date.now();
      if (left <= 0) {
        this.#fail(pastDeadline(this.#deadlineMs));
        return false;
      }
      // unref'd: a pending answer must not keep a stopping daemon alive.
      this.#timer = setTimeout(() => this.#fail(pastDeadline(this.#deadlineMs)), left).unref();
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    // Counted before the chunk is kept: an endless body stops at the cap, not at the heap limit.
    if (this.#size + chunk.length > this.#max) {
      this.#fail(tooLarge(this.#max));
      return false;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.#done();
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#resolve(new Response(this.statusCode, this.#raw, body));
  }

  onError(err: Error): void {
    if (reusedSocketDied(err, this) && !this.#signal?.aborted) {
      // net/resend.ts says why this is safe; the dead socket is gone, so the resend connects anew.
      this.resent = true;
      this.#abort = undefined;
      this.#onResend?.();
      this.send();
      return;
    }
    this.#done();
    this.#reject(err);
  }

  /** Ends the exchange with `err` (undici's abort destroys the socket: the body is not read on). */
  #fail(err: NetError): void {
    this.#chunks = [];
    this.#size = 0;
    if (this.#abort) this.#abort(err);
    else this.onError(err);
  }

  #done(): void {
    this.#abort = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#signal) inFlight(this.#signal).delete(this);
  }
}

/** Content-Length of an answer, when given and a number. */
function contentLength(raw: Buffer[]): number | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length') {
      const n = Number(raw[i + 1]!.toString('latin1'));
      return Number.isFinite(n) ? n : undefined;
    }
  }
  return undefined;
}

function tooLarge(max: number, announced?: number): NetError {
  return new NetError(
    'NET_ERR_BODY_TOO_LARGE',
    announced !== undefined
      ? `the answer announces ${announced} bytes, more than the ${max} allowed`
      : `the answer is larger than the ${max} bytes allowed`,
    { limit: max },
  );
}

function pastDeadline(ms: number): NetError {
  return new NetError('NET_ERR_DEADLINE', `no complete answer within ${Math.round(ms / 1000)} s`, {
    limit: ms,
  });
}

/**
 * The requests in flight under each signal. One abort listener per signal, not one per request:
 * a watcher's session signal lives for hours and sees thousands of requests, and Node's
 * EventTarget listener bookkeeping cost more per request than the rest of this file.
 */
const requests = new WeakMap<AbortSignal, Set<BufferingHandler>>();

function inFlight(signal: AbortSignal): Set<BufferingHandler> {
  const known = requests.get(signal);
  if (known) return known;
  const handlers = new Set<BufferingHandler>();
  requests.set(signal, handlers);
  signal.addEventListener(
    'abort',
    () => {
      for (const h of handlers) h.cancel();
    },
    { once: true },
  );
  return handlers;
}

class Response implements ExchangeResponse {
  #raw: Buffer[];
  #headers: Record<string, string | string[] | undefined> | undefined;

  constructor(
    readonly statusCode: number,
    raw: Buffer[],
    readonly body: Uint8Array,
  ) {
    this.#raw = raw;
  }

  get headers(): Record<string, string | string[] | undefined> {
    if (this.#headers) return this.#headers;
    const h: Record<string, string | string[] | undefined> = {};
    for (let i = 0; i + 1 < this.#raw.length; i += 2) {
      const name = this.#raw[i]!.toString('latin1').toLowerCase();
      const value = this.#raw[i + 1]!.toString('latin1');
      const prev = h[name];
      h[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    this.#headers = h;
    return h;
  }
}

/** Where a request goes: an origin and a path with its query. */
export interface Target {
  origin: string;
  path: string;
}

/**
 * Sends one request through `dispatcher` and buffers the whole answer, whatever its status,
 * within `maxBytes` and `deadlineMs`. A reused keep-alive socket that dies before the first
 * response byte gets the request once more (net/resend.ts), so the body must be a Buffer.
 */
export function exchange(
  dispatcher: Dispatcher,
  to: URL | Target,
  opts: ExchangeOptions,
): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const headersTimeout =
      opts.deadlineMs === undefined
        ? opts.headersTimeout
        : Math.min(opts.headersTimeout ?? opts.deadlineMs, opts.deadlineMs);
    const request: Dispatcher.DispatchOptions = {
      origin: to.origin,
      path: to instanceof URL ? to.pathname + to.search : to.path,
      method: opts.method,
      headers: opts.headers,
      body: opts.body ?? null,
      ...(headersTimeout !== undefined ? { headersTimeout } : {}),
      ...(opts.bodyTimeout !== undefined ? { bodyTimeout: opts.bodyTimeout } : {}),
    };
    new BufferingHandler(dispatcher, request, opts, resolve, reject).send();
  });
}
