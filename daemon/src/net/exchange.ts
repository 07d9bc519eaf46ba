import type { Dispatcher } from 'undici';

/** One buffered HTTP exchange. */
export interface ExchangeOptions {
  method: 'GET' | 'POST' | 'OPTIONS';
  headers: Record<string, string>;
  body?: Buffer;
  /** Deadline for the response headers and for each gap in the body, ms (undici's own timers). */
  headersTimeout?: number;
  bodyTimeout?: number;
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

  constructor(
    signal: AbortSignal | undefined,
    resolve: (r: ExchangeResponse) => void,
    reject: (e: unknown) => void,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    if (signal) {
      this.#signal = signal;
      inFlight(signal).add(this);
    }
  }

  /** The caller's signal fired. */
  cancel(): void {
    this.#abort?.(this.#signal?.reason);
  }

  onConnect(abort: Abort): void {
    if (this.#signal?.aborted) abort(this.#signal.reason);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.statusCode = statusCode;
    this.#raw = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
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
    this.#done();
    this.#reject(err);
  }

  #done(): void {
    this.#abort = undefined;
    if (this.#signal) inFlight(this.#signal).delete(this);
  }
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

/** Sends one request through `dispatcher` and buffers the whole answer, whatever its status. */
export function exchange(
  dispatcher: Dispatcher,
  to: URL | Target,
  opts: ExchangeOptions,
): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const handler = new BufferingHandler(opts.signal, resolve, reject);
    dispatcher.dispatch(
      {
        origin: to.origin,
        path: to instanceof URL ? to.pathname + to.search : to.path,
        method: opts.method,
        headers: opts.headers,
        body: opts.body ?? null,
        ...(opts.headersTimeout !== undefined ? { headersTimeout: opts.headersTimeout } : {}),
        ...(opts.bodyTimeout !== undefined ? { bodyTimeout: opts.bodyTimeout } : {}),
      },
      handler,
    );
  });
}
