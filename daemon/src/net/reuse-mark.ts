import type { buildConnector } from 'undici';

/** Set on a socket error when the socket had already read answer bytes before it failed. */
export const REUSED_SOCKET = Symbol('tidings.reusedSocket');

/**
 * Wraps undici's connector so that an error a socket dies with says whether the socket had
 * carried answers before: net/resend.ts resends a request only then.
 *
 * Why here: SOGo 5.8 closes an answered keep-alive socket without `Connection: close` (issue 13).
 * The client's next write meets that close either as undici's `SocketError` ("other side
 * closed", which carries the socket's byte counters) or — when the server's kernel answers the
 * write with a reset — as a bare `ECONNRESET` from the socket, which carries nothing. Counting
 * bytes from when the connector hands the socket over leaves out the TLS handshake, so "read
 * anything since" means "read an earlier answer".
 */
export function markReusedSockets(connect: buildConnector.connector): buildConnector.connector {
  return (opts: buildConnector.Options, callback: buildConnector.Callback) =>
    connect(opts, (...args) => {
      const socket = args[1];
      if (socket) {
        const base = socket.bytesRead;
        // prepend: undici's own 'error' listener hands the same object to the request's handler.
        socket.prependListener('error', (e: unknown) => {
          if (e && typeof e === 'object' && !(REUSED_SOCKET in e))
            Object.defineProperty(e, REUSED_SOCKET, { value: socket.bytesRead > base });
        });
      }
      callback(...args);
    });
}
