import { REUSED_SOCKET } from './reuse-mark';

/**
 * When a request may go out a second time: the rule of HTTP clients that keep connections
 * alive (RFC 9112 §9.3.1: "a client MAY open a new connection and automatically retransmit an
 * aborted sequence of requests if all of those requests have idempotent methods"; Chromium
 * resends any method when a *reused* socket fails before the first response byte,
 * `HttpNetworkTransaction::ShouldResendRequest`). Pure: net/exchange.ts asks it on each error.
 *
 * Why this exists (issue 13): SOGo 5.8 answers and then closes the kept-alive connection without
 * `Connection: close`. The next command written on that socket meets the close; undici never
 * retries a POST, so every Provision after OPTIONS failed with UND_ERR_SOCKET, forever.
 *
 * Why resending an EAS command once is safe (MS-ASCMD):
 * - the server closed a socket it had already answered on, so it closed while idle: it never
 *   read the new request (the common case, and the only one `reusedSocketDied` accepts);
 * - and even if it had read it, every command we send is idempotent or keyed:
 *   - OPTIONS: read-only (MS-ASHTTP 2.2.1.1.1);
 *   - Ping: the second Ping replaces the first (a server ends the older Ping of a DeviceId);
 *   - Sync / FolderSync: the request carries the SyncKey it was built from; a server that did
 *     process the first copy answers the resent one for the same key (MS-ASCMD 2.2.3.166.4
 *     keeps the last key valid for exactly this), and we commit only keys from answers we read;
 *   - Provision: phase one only hands out a temporary key, so a repeat hands out another; a
 *     repeated phase two whose first copy the server did process finds its temporary key spent,
 *     fails like any Provision error and the next attempt starts again at phase one — a back-off,
 *     never a wrong state (MS-ASPROV 3.1.5.1);
 *   - Settings (DeviceInformation) sets the same values again;
 *   - ItemOperations Fetch reads; we send no SendMail, MoveItems or other command whose repeat
 *     would show to the user.
 */
export interface FailedAttempt {
  /** Response bytes (status line or later) seen for this request. */
  responded: boolean;
  /** The request was already sent again once. */
  resent: boolean;
  /** When undici handed the request to a socket (ms since the epoch); 0 before that. */
  sentAt: number;
}

/**
 * A reset counts only this soon after the request went out: the close race resets our write at
 * once, while a NAT or firewall cutting a held Ping resets it minutes later — that one must fail
 * and be learnt as a cut (eas/heartbeat.ts), not be hidden by a resend.
 */
export const RESET_RACE_MS = 3_000;

/**
 * True when `err` says a socket that had carried earlier answers died before this request got a
 * byte back. Our connector marks every socket's error (net/reuse-mark.ts); for a socket it did
 * not make, undici's `SocketError` ("other side closed", "closed") carries the socket's
 * counters, and `bytesRead > 0` with no byte for this request means the bytes were earlier
 * answers, so the socket was reused. EPIPE means our write hit a socket the server had already
 * closed: the request never arrived whole.
 */
export function reusedSocketDied(err: unknown, attempt: FailedAttempt, now = Date.now()): boolean {
  if (attempt.responded || attempt.resent || !err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; socket?: { bytesRead?: unknown }; [REUSED_SOCKET]?: boolean };
  if (e.code === 'EPIPE') return true;
  // Marked by our connector (net/reuse-mark.ts): exact, and the only witness of a reset, which
  // SOGo's close also shows up as when the server's kernel answers our write (ECONNRESET).
  if (REUSED_SOCKET in e && e[REUSED_SOCKET] === true) {
    if (e.code === 'UND_ERR_SOCKET') return true;
    if (e.code === 'ECONNRESET') return attempt.sentAt !== 0 && now - attempt.sentAt < RESET_RACE_MS;
    return false;
  }
  if (REUSED_SOCKET in e) return false;
  if (e.code !== 'UND_ERR_SOCKET') return false;
  const read = e.socket?.bytesRead;
  return typeof read === 'number' && read > 0;
}
