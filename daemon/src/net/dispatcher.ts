import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import type { TlsOptions } from '../config/account';
import buildConnector from 'undici/lib/core/connect.js';
import type { OwnConnectionOptions } from './account-dispatcher';
import { NetError } from './errors';
import { markReusedSockets } from './reuse-mark';

/** Options for {@link createDispatcher}. */
export interface DispatcherOptions {
  /** TLS settings of the account (config/account.ts). Verification stays on unless turned off there. */
  tls?: TlsOptions;
  /** HTTP(S) proxy URL (`http://user:pass@proxy:3128`). */
  proxy?: string;
  /** Sockets per origin. EAS needs two: one hanging Ping and one Sync beside it. */
  connections?: number;
  /** Idle keep-alive, ms. */
  keepAliveTimeout?: number;
  /** Shared by many accounts, each of which may open its own connection beside it. */
  shared?: boolean;
}

/** TLS material for undici's connector, read once when the dispatcher is built. */
interface ConnectTls {
  ca?: string[];
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new NetError('NET_ERR_TLS_FILE', `tls.${field}: cannot read ${path}`, {
      field: `tls.${field}`,
      cause,
    });
  }
}

/**
 * Node's root store, read only for an account with its own CA. Through require, not an ESM import:
 * the ESM facade of node:tls reads every export at import, which turns all ~140 root certificates
 * into strings in every daemon (~0.4 MB of heap) although most never need them.
 */
function rootCertificates(): readonly string[] {
  return (createRequire(import.meta.url)('node:tls') as typeof import('node:tls')).rootCertificates;
}

function connectTls(tls: TlsOptions | undefined): ConnectTls {
  const out: ConnectTls = { rejectUnauthorized: tls?.rejectUnauthorized ?? true };
  // Node's `ca` option replaces the root store; an enterprise CA must be added to it, not swapped
  // in, or every public server would stop verifying.
  if (tls?.ca) out.ca = [...rootCertificates(), readPem(tls.ca, 'ca').toString('utf8')];
  if (tls?.cert) out.cert = readPem(tls.cert, 'cert');
  if (tls?.key) out.key = readPem(tls.key, 'key');
  if ((tls?.cert === undefined) !== (tls?.key === undefined)) {
    throw new NetError('NET_ERR_TLS_PAIR', 'tls.cert and tls.key must be given together', {
      field: 'tls.cert',
    });
  }
  return out;
}

/** Dispatchers made for sharing (see {@link createDispatcher}'s `shared`) and how to connect like them. */
const sharedDispatchers = new WeakMap<Dispatcher, OwnConnectionOptions>();

/**
 * How to open an account's own connection next to `d` (net/account-dispatcher.ts): the same TLS
 * and keep-alive; undefined when `d` is not a shared direct dispatcher (a proxy, a test double).
 */
export function ownConnectionOptions(d: Dispatcher): OwnConnectionOptions | undefined {
  return sharedDispatchers.get(d);
}

/**
 * One undici dispatcher per account: keep-alive sockets, TLS verification on, optional extra CA,
 * client certificate and proxy. Autodiscover, EAS and DAV share it so a connection (and its TLS
 * session) is reused across them. Throws a {@link NetError} naming the bad field when a PEM file
 * cannot be read or the proxy is not a URL — config validation surfaces it.
 */
export function createDispatcher(opts: DispatcherOptions = {}): Dispatcher {
  const tls = connectTls(opts.tls);
  const connections = opts.connections ?? 4;
  // An idle socket is dropped after 4 s (undici's own default): below Apache's 5 s
  // KeepAliveTimeout, so we seldom write into a socket the server is closing. A server that closes
  // sooner without saying so (SOGo 5.8, issue 13) is caught by the resend in net/exchange.ts.
  // The account's own connection is never idle for long: Ping, Sync, Ping follow each other.
  const keepAliveTimeout = opts.keepAliveTimeout ?? 4_000;
  if (opts.proxy) {
    let uri: URL;
    try {
      uri = new URL(opts.proxy);
    } catch (cause) {
      throw new NetError('NET_ERR_PROXY_URL', `proxy: not a URL: ${opts.proxy}`, { field: 'proxy', cause });
    }
    const token =
      uri.username !== ''
        ? `Basic ${Buffer.from(`${decodeURIComponent(uri.username)}:${decodeURIComponent(uri.password)}`).toString('base64')}`
        : undefined;
    uri.username = '';
    uri.password = '';
    return new ProxyAgent({
      uri: uri.toString(),
      ...(token ? { token } : {}),
      requestTls: tls,
      connections,
      keepAliveTimeout,
    });
  }
  // undici's Client default: a 10 s connect timeout. One connector for the pool and the accounts'
  // own connections: one TLS session cache, and every socket marked for net/resend.ts.
  const connect = markReusedSockets(buildConnector({ ...tls, timeout: 10_000 }));
  const agent = new Agent({ connect, connections, keepAliveTimeout });
  if (opts.shared) sharedDispatchers.set(agent, { connect, keepAliveTimeout });
  return agent;
}
