/**
 * One IMAP connection for an account: imapflow with TLS verification on (a custom CA from
 * `tls.ca`, as the HTTP accounts read it), password or OAuth2 (XOAUTH2 / OAUTHBEARER, imapflow
 * picks what the server offers), CONDSTORE/QRESYNC enabled, IDLE renewed within RFC 2177's 29
 * minutes (on the server's own keep-alive where it sends one, see rideIdleRenewal), and every
 * answer bounded.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';
import type { ImapAccount } from '../config/account';
import { ImapError, toImapError } from './errors';

/**
 * IDLE is ended and sent again at the latest after this (imapflow's `maxIdleTime`): RFC 2177 §3
 * advises re-issuing IDLE at least every 29 minutes, as RFC 9051 §5.4 lets a server log out a
 * client silent for 30. Only a server that sends nothing while we IDLE gets this timer's renewal.
 */
export const IDLE_RENEW_MS = 29 * 60_000;
/**
 * An IDLE this old is renewed on the next keep-alive the server sends anyway (Dovecot's
 * `* OK Still here` every imap_idle_notify_interval, 2 min by default): with 2-minute keep-alives
 * the renewal lands between 24 and 26 minutes, inside the 29.
 */
export const IDLE_RIDE_AFTER_MS = 24 * 60_000;
/** Default cap of one literal (a header block, a preview prefix): the watcher never fetches whole mail. */
export const DEFAULT_MAX_LITERAL_BYTES = 4 * 1024 * 1024;
/** One line without a literal (a FETCH of 200 flags, a long SEARCH answer). */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** What authenticates the connection: a password, or a fresh OAuth2 access token. */
export type ImapCredential = { pass: string } | { accessToken: string };

export interface ConnectOptions {
  account: ImapAccount;
  credential: ImapCredential;
  log: Logger;
  /** Deadline for TCP + TLS + greeting, ms. */
  connectTimeoutMs?: number;
}

export function defaultPort(account: Pick<ImapAccount, 'port' | 'security'>): number {
  return account.port ?? (account.security === 'starttls' ? 143 : 993);
}

/** node:tls options of the account (a CA file is read here: an unreadable one is IMAP_ERR_CONFIG). */
export function tlsOptionsOf(account: Pick<ImapAccount, 'tls' | 'host'>): ConnectionOptions {
  const t = account.tls;
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ImapError(
        'IMAP_ERR_CONFIG',
        `Cannot read tls.${what} file ${path}: ${(err as Error).message}`,
        {
          host: account.host,
        },
      );
    }
  };
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: t?.rejectUnauthorized ?? true,
    ...(t?.ca ? { ca: read('ca', t.ca) } : {}),
    ...(t?.cert ? { cert: read('cert', t.cert) } : {}),
    ...(t?.key ? { key: read('key', t.key) } : {}),
  };
}

/** imapflow's options for the account. Pure apart from reading TLS files. */
export function flowOptions(o: ConnectOptions): ImapFlowOptions {
  const { account } = o;
  const maxLiteral = account.maxLiteralBytes ?? DEFAULT_MAX_LITERAL_BYTES;
  if (account.tls?.rejectUnauthorized === false)
    o.log.warn(
      { host: account.host },
      'IMAP TLS certificate verification is off for this account (tls.rejectUnauthorized)',
    );
  return {
    host: account.host,
    port: defaultPort(account),
    secure: account.security === 'tls',
    // STARTTLS is required, never optional: a stripped capability must not downgrade us (imapflow doSTARTTLS).
    ...(account.security === 'starttls' ? { doSTARTTLS: true } : {}),
    servername: account.host,
    tls: tlsOptionsOf(account),
    auth: { user: account.username, ...o.credential },
    ...(account.proxy ? { proxy: account.proxy } : {}),
    // No version: version.ts reads package.json beside the main bundle, and this file is in a lazy chunk.
    clientInfo: { name: 'Tidings' },
    // imapflow's debug lines are protocol chatter and its warnings are command failures that we
    // turn into typed errors and log ourselves: only its errors reach our log (never below the
    // level of ours: a silent logger stays silent).
    logger: o.log.child({ imap: account.host }, { level: o.log.levelVal > 50 ? o.log.level : 'error' }),
    qresync: true,
    maxIdleTime: IDLE_RENEW_MS,
    // Above the IDLE renewal, so an idle connection is not timed out between two IDLEs; a dead
    // socket is found by the renewal or by the wake monitor (network change, resume).
    socketTimeout: IDLE_RENEW_MS + 3 * 60_000,
    autoIdleDelay: 500,
    connectionTimeout: o.connectTimeoutMs ?? 30_000,
    greetingTimeout: 16_000,
    maxLiteralSize: maxLiteral,
    maxLineLength: MAX_LINE_BYTES,
    maxResponseSize: 2 * maxLiteral + MAX_LINE_BYTES,
    disableCompression: true,
  };
}

const connectionErrors = new WeakMap<ImapFlow, ImapError>();

/** The last fault imapflow reported on the connection itself ('error' event), if any. */
export function connectionError(client: ImapFlow): ImapError | undefined {
  return connectionErrors.get(client);
}

/** Connects and logs in; every failure is an ImapError. The caller owns the client. */
export async function connect(o: ConnectOptions): Promise<ImapFlow> {
  const client = new ImapFlow(flowOptions(o));
  // imapflow emits 'error' for socket and parser faults (a literal over the cap, a TLS failure);
  // without a listener Node would throw it. Kept: the command that fails with it only says
  // the connection went, and the watcher shows the cause.
  client.on('error', (err: unknown) => {
    const e = toImapError(err, { host: o.account.host });
    connectionErrors.set(client, e);
    o.log.debug({ code: e.code, err: e.message }, 'imap connection error');
  });
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw toImapError(err, { host: o.account.host, command: 'LOGIN' });
  }
  rideIdleRenewal(client);
  return client;
}

/** What rideIdleRenewal saw on one connection (the bench and the tests read it). */
export interface IdleRide {
  /** Untagged `* OK` lines that reached us during IDLE: the server's keep-alives. */
  keepAlives: number;
  /** IDLE renewals done on a keep-alive instead of a timer of ours. */
  rides: number;
}

const rides = new WeakMap<ImapFlow, IdleRide>();

/** imapflow's IDLE break: what its own `maxIdleTime` timer and every command call (commands/idle.js). */
type PreCheck = () => Promise<void>;

/**
 * A chunk made only of untagged OK lines (`* OK Still here`): a keep-alive, not mailbox news.
 * An EXISTS or FETCH is left alone — the watcher's check that follows ends the IDLE anyway.
 */
function isKeepAlive(chunk: Buffer): boolean {
  if (chunk.length > 512) return false;
  const lines = chunk.toString('latin1').split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.length > 0 && lines.every((l) => /^\* OK\b/i.test(l));
}

/**
 * Renews IDLE on a wake-up we get anyway. When a keep-alive arrives during an IDLE that has been
 * on the wire for `rideAfterMs` (the time since our last write, which is what a server's
 * autologout timer measures: imapflow's `lastClientWrite`), the IDLE is ended and sent again right
 * there — DONE, then IDLE queued behind it, the same wire as imapflow's own restart.
 *
 * Once a connection's server has proved it sends keep-alives through a whole renewal period, its
 * later IDLEs run without imapflow's `maxIdleTime` timer: every renewal then rides a keep-alive,
 * and no timer of ours wakes the process for it. (Keeping the timer and pushing it forward does
 * not save the wake-up: Node does not re-arm its timer when an unref'd timer is cleared early,
 * so the process still wakes at the old due time, to find nothing to do.) Should such a server
 * go quiet, imapflow's socket watchdog (`socketTimeout`, 32 min of silence) breaks the IDLE with
 * a NOOP, and a dead connection is found then as before. A server that never sends a keep-alive
 * keeps the 29-minute timer for the whole session.
 *
 * The socket's 'data' event only observes: imapflow reads the same socket through its pipe.
 */
export function rideIdleRenewal(
  client: ImapFlow,
  opts: { rideAfterMs?: number; now?: () => number } = {},
): IdleRide {
  const rideAfter = opts.rideAfterMs ?? IDLE_RIDE_AFTER_MS;
  const now = opts.now ?? Date.now;
  const seen: IdleRide = { keepAlives: 0, rides: 0 };
  rides.set(client, seen);
  const internal = client as unknown as { socket?: Socket; preCheck?: PreCheck | false };
  internal.socket?.on('data', (chunk: Buffer) => {
    if (!client.idling || !isKeepAlive(chunk)) return;
    seen.keepAlives++;
    const since = client.lastClientWrite;
    const preCheck = internal.preCheck;
    if (since === null || now() - since < rideAfter || typeof preCheck !== 'function') return;
    seen.rides++;
    client.maxIdleTime = false;
    // preCheck writes DONE at once (the IDLE's '+' came long ago) and clears `idling`, so idle()
    // queues the next IDLE behind the old one's tagged OK: no auto-IDLE delay, no timer.
    preCheck().catch(() => undefined);
    client.idle().catch(() => undefined);
  });
  return seen;
}

/** The keep-alive renewals of a connection made by connect() (undefined for other clients). */
export function idleRideOf(client: ImapFlow): IdleRide | undefined {
  return rides.get(client);
}
