import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The loopback redirect listener of RFC 8252 §7.3. */
export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/`, the redirect_uri to register with the request. */
  readonly redirectUri: string;
  /**
   * Resolves with the query of the first request to `/` that carries `code` or `error`;
   * `answer` decides the page the browser shows.
   */
  callback(): Promise<URLSearchParams>;
  /** Sends the page for the pending callback request. */
  answer(ok: boolean, text: string): void;
  close(): Promise<void>;
}

function page(ok: boolean, text: string): string {
  const safe = text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>Tidings</title><body style="font-family:sans-serif;margin:3em"><h1>${ok ? 'Signed in' : 'Sign-in failed'}</h1><p>${safe}</p></body>`;
}

/**
 * Listens on 127.0.0.1 with an ephemeral port. RFC 8252 §7.3 and §8.3: the loopback IP literal,
 * not `localhost` (which may resolve elsewhere), and any port the OS gives us.
 */
export async function startLoopbackListener(
  /** Host written in the redirect URI; the socket is always bound to 127.0.0.1. */
  uriHost: '127.0.0.1' | 'localhost' = '127.0.0.1',
): Promise<LoopbackListener> {
  let resolveCb!: (q: URLSearchParams) => void;
  const arrived = new Promise<URLSearchParams>((r) => {
    resolveCb = r;
  });
  let pending: ServerResponse | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    if (req.method !== 'GET' || url.pathname !== '/' || (!q.has('code') && !q.has('error')) || pending) {
      // favicon.ico, a second tab, a port scanner: none of them is the redirect.
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    pending = res;
    resolveCb(q);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://${uriHost}:${port}/`,
    callback: () => arrived,
    answer(ok, text) {
      pending
        ?.writeHead(ok ? 200 : 400, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
        })
        .end(page(ok, text));
    },
    close() {
      return new Promise((resolve) => {
        // Let the answer page flush; a browser holding the socket open is cut after 2 s.
        const force = setTimeout(() => server.closeAllConnections(), 2_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
