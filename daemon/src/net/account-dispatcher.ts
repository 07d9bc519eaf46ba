import { type buildConnector, Client, Dispatcher } from 'undici';
import symbols from 'undici/lib/core/symbols.js';

/** What an account's own connection is built with: the shared dispatcher's TLS and keep-alive. */
export interface OwnConnectionOptions {
  /** One connector for all accounts (net/dispatcher.ts): one TLS session cache, not one each. */
  connect: buildConnector.connector;
  keepAliveTimeout: number;
}

/**
 * One account's way to its server: requests to the account's home origin (its EAS endpoint) go
 * over a Client of its own — one keep-alive socket the account's commands take in turn: Ping,
 * then the Sync it announced, then the next Ping; anything else (Autodiscover, the OAuth token
 * endpoint, a request while the socket is busy) goes to the shared dispatcher.
 *
 * Why not the shared pool alone: it holds one connection per parked Ping, and at 10 000
 * accounts every request had to find a free one among 10 000 (undici's Pool scans), a Sync
 * raced the Ping's socket becoming free and opened new connections, and the pool's bookkeeping
 * per connection (listeners, bound handlers) cost memory per account (issue 5's scale bench).
 */
export class AccountDispatcher extends Dispatcher {
  #shared: Dispatcher;
  #opts: OwnConnectionOptions;
  #home: string | undefined;
  #client: Client | undefined;
  #onConnect: ((origin: string) => void) | undefined;

  /** `onConnect`: told of each new connection of the account's own (the insecure-TLS warning). */
  constructor(shared: Dispatcher, opts: OwnConnectionOptions, onConnect?: (origin: string) => void) {
    super();
    this.#shared = shared;
    this.#opts = opts;
    this.#onConnect = onConnect;
  }

  /** Sets the origin that gets the account's own connection (the EAS URL, also after a 451). */
  home(url: string): void {
    const origin = new URL(url).origin;
    if (origin === this.#home) return;
    this.#home = origin;
    const old = this.#client;
    this.#client = undefined;
    old?.close().catch(() => undefined);
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#home !== undefined && String(opts.origin) === this.#home) {
      let client = this.#client;
      if (!client || client.closed || client.destroyed) {
        client = new Client(this.#home, this.#opts);
        const told = this.#onConnect;
        if (told) client.on('connect', (origin) => told(String(origin)));
        this.#client = client;
      }
      // kBusy: the socket carries a request (or is being set up or torn down); undici's Pool
      // asks the same of each client before it dispatches to it.
      if (!(client as unknown as Record<symbol, boolean>)[symbols.kBusy])
        return client.dispatch(opts, handler);
    }
    return this.#shared.dispatch(opts, handler);
  }

  /** Closes the account's own connection; the shared dispatcher belongs to the daemon. */
  override async close(): Promise<void> {
    await this.#release()?.close();
  }

  override async destroy(): Promise<void> {
    await this.#release()?.destroy();
  }

  /** Forgets the home origin and hands back its connection for the caller to end. */
  #release(): Client | undefined {
    const c = this.#client;
    this.#client = undefined;
    this.#home = undefined;
    return c;
  }
}
