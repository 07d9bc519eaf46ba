/**
 * One IMAP connection for an account: imapflow with TLS verification on (a custom CA from
 * `tls.ca`, as the HTTP accounts read it), password or OAuth2 (XOAUTH2 / OAUTHBEARER, imapflow
 * picks what the server offers), CONDSTORE/QRESYNC enabled, IDLE renewed before RFC 2177's 29
 * minutes, and every answer bounded.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from 'pino';
import type { ImapAccount } from '../config/account';
import { ImapError, toImapError } from './errors';

/** IDLE is ended and sent again after this: below RFC 2177's 29 minutes, so NATs and servers keep it. */
export const IDLE_RENEW_MS = 28 * 60_000;
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
  return client;
}
