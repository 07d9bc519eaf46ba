import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import type { Account, DavAccount, EasAccount } from '../config/account';
import { AutodiscoverError, type AutodiscoverOptions, autodiscover } from '../eas/autodiscover';
import type { EasAuth } from '../eas/auth';
import { authorityFor, createOAuthTokenProvider, OAuthError } from '../eas/oauth';
import { EasClient } from '../eas/client';
import { deviceInformation, newDeviceId } from '../eas/device';
import { classOf, collectionOf, type EasFolder, watchedFolders } from '../eas/folders';
import { EasHttp } from '../eas/transport';
import type { TestResult } from '../ipc/protocol';
import { createDispatcher } from '../net/dispatcher';
import type { SecretSource } from '../watch/types';

/** One named check's outcome: a note when it passed, a fix when it did not. */
export type Step = TestResult['steps'][number];

export interface CheckOptions {
  /** Per network step, ms. */
  timeoutMs?: number;
  /** How long the Ping check waits: a Ping still held then is push working. */
  pingHoldMs?: number;
  /**
   * Asked before credentials go to an Autodiscover host outside the address's domain that an
   * unauthenticated step (cleartext redirect, DNS SRV) named; the CLI asks the person when it
   * runs in a terminal. Absent, such hosts are refused and the fix says how to go on.
   */
  trustRedirect?: (url: string) => Promise<boolean>;
  /** Test hooks: the HTTP dispatcher, and Autodiscover options (`baseUrls`, `resolveSrv`). */
  dispatcher?: Dispatcher;
  autodiscover?: Omit<AutodiscoverOptions, 'dispatcher' | 'username' | 'password' | 'bearer' | 'signal'>;
}

/** Autodiscover's failure with every URL tried and why it failed, one per line. */
function autodiscoverNote(err: unknown): string {
  if (!(err instanceof AutodiscoverError) || err.attempts.length === 0) return reason(err);
  return [reason(err), ...err.attempts.map((a) => `    tried ${a.url}: ${a.outcome}`)].join('\n');
}

const REFUSED_REDIRECT = 'skipped: found by an unauthenticated step';

/** A typed error's message (rooms write them for people, without secrets), else a generic line. */
function reason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return `${typeof e?.message === 'string' ? e.message : String(err)}${code}`;
}

const AUTH_FIX =
  'the server refused the user name or password: check --username (DOMAIN\\user or UPN) and store the password again (tidings account add)';

const isLoopback = (host: string) =>
  host === '127.0.0.1' || host === '::1' || host === '[::1]' || host === 'localhost';

async function dnsStep(host: string): Promise<Step> {
  try {
    const { lookup } = await import('node:dns/promises');
    const addrs = await lookup(host, { all: true });
    return { name: 'dns', ok: true, note: `${host} → ${addrs.map((a) => a.address).join(', ')}` };
  } catch (err) {
    return {
      name: 'dns',
      ok: false,
      note: `${host} does not resolve: ${(err as NodeJS.ErrnoException).code}`,
      fix: 'check the host name in the account URL, and that this machine has network and DNS',
    };
  }
}

async function tlsStep(url: URL, account: Account, timeoutMs: number): Promise<Step> {
  if (url.protocol === 'http:') {
    return isLoopback(url.hostname)
      ? { name: 'tls', ok: true, note: 'plain HTTP to this machine (test server): no TLS needed' }
      : {
          name: 'tls',
          ok: false,
          note: 'plain HTTP over the network sends the password readable to anyone on the path',
          fix: 'use the https:// URL of the server',
        };
  }
  const port = Number(url.port || 443);
  // Imported here: an ESM import of node:tls reads every export once, and `rootCertificates`
  // then turns ~140 root certificates into strings (~0.2 MB) in every daemon (issue 5).
  const { connect: tlsConnect } = await import('node:tls');
  return new Promise((resolve) => {
    const sock = tlsConnect({
      host: url.hostname,
      port,
      servername: url.hostname,
      rejectUnauthorized: false, // we report the verdict instead of failing blind
      ...(account.tls?.ca ? { ca: account.tls.ca } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({
        name: 'tls',
        ok: false,
        note: `no TLS handshake with ${url.host} within ${timeoutMs} ms`,
        fix: 'check port and firewall',
      });
    }, timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const cert: PeerCertificate = sock.getPeerCertificate();
      const until = cert.valid_to ? `, valid until ${cert.valid_to}` : '';
      const who = cert.subject?.CN ? `certificate for ${cert.subject.CN}${until}` : 'certificate';
      if (sock.authorized || account.tls?.rejectUnauthorized === false) {
        resolve({ name: 'tls', ok: true, note: `${sock.getProtocol()} ${who}` });
      } else {
        resolve({
          name: 'tls',
          ok: false,
          note: `${who} is not trusted: ${String(sock.authorizationError)}`,
          fix: 'if your organisation uses its own CA, put its PEM file in the account\'s "tls": {"ca": …}',
        });
      }
      sock.destroy();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      resolve({
        name: 'tls',
        ok: false,
        note: `cannot connect to ${url.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
        fix: 'check the URL and port, and that a firewall or proxy lets the connection through',
      });
    });
  });
}

/** Exchange: Autodiscover (when no URL), DNS, TLS, OPTIONS, auth (Provision + FolderSync), one short Ping. */
async function checkEas(
  account: EasAccount,
  secret: SecretSource,
  log: Logger,
  o: CheckOptions & { timeoutMs: number; pingHoldMs: number },
): Promise<Step[]> {
  const steps: Step[] = [];
  const own = !o.dispatcher;
  const dispatcher: Dispatcher =
    o.dispatcher ??
    createDispatcher({
      ...(account.tls ? { tls: account.tls } : {}),
      ...(account.proxy ? { proxy: account.proxy } : {}),
    });
  try {
    let url = account.url;
    const password = () => secret.get();
    const authFix =
      account.auth.type === 'oauth2' ? `sign in again: tidings account login ${account.id}` : AUTH_FIX;
    // OAuth2: bearer tokens from the refresh token the keyring holds (rotations are stored back).
    const auth: EasAuth =
      account.auth.type === 'oauth2'
        ? {
            kind: 'bearer',
            tokens: createOAuthTokenProvider({
              clientId: account.auth.clientId,
              authority: account.auth.authority ?? authorityFor(account.auth.tenant),
              scope: account.auth.scope,
              refreshToken: secret,
              dispatcher,
              log,
            }),
          }
        : { kind: 'basic', username: account.username ?? account.email, password };
    if (!url) {
      try {
        const found = await autodiscover(account.email, {
          ...o.autodiscover,
          dispatcher,
          ...(account.username ? { username: account.username } : {}),
          ...(auth.kind === 'bearer' ? { bearer: () => auth.tokens.getAccessToken() } : { password }),
          ...(o.trustRedirect ? { trustRedirect: o.trustRedirect } : {}),
          log,
          timeoutMs: o.timeoutMs,
        });
        url = found.url;
        steps.push({ name: 'autodiscover', ok: true, note: `found ${found.url} (via ${found.via})` });
      } catch (err) {
        const refused =
          err instanceof AutodiscoverError &&
          err.attempts.some((a) => a.outcome.startsWith(REFUSED_REDIRECT));
        steps.push({
          name: 'autodiscover',
          ok: false,
          note: autodiscoverNote(err),
          fix: refused
            ? "a server outside your address's domain was named by an unverified step and was not trusted: " +
              'run this in a terminal to confirm it, or give the server URL with --url if your administrator confirms it'
            : 'give the server URL (https://host/Microsoft-Server-ActiveSync) with --url, or ask your administrator for it',
        });
        return steps;
      }
    }
    const u = new URL(url);
    steps.push(await dnsStep(u.hostname));
    if (!steps.at(-1)!.ok) return steps;
    steps.push(await tlsStep(u, account, o.timeoutMs));
    if (!steps.at(-1)!.ok) return steps;
    const http = new EasHttp({
      url,
      user: account.username ?? account.email,
      deviceId: newDeviceId(),
      auth,
      dispatcher,
    });
    const client = new EasClient({
      http,
      version: account.protocolVersion ?? '14.1',
      log,
      deviceInfo: deviceInformation(),
    });
    try {
      const opts = await client.options(account.protocolVersion);
      steps.push({
        name: 'options',
        ok: true,
        note: `server speaks EAS ${opts.serverVersions.join(', ')}; using ${opts.version}`,
      });
    } catch (err) {
      // Many servers (and the fixture) authenticate OPTIONS too: a 401 here is an auth verdict.
      const code = (err as { code?: string }).code ?? '';
      if (code === 'EAS_ERR_AUTH' || err instanceof OAuthError)
        steps.push({ name: 'auth', ok: false, note: reason(err), fix: authFix });
      else
        steps.push({
          name: 'options',
          ok: false,
          note: reason(err),
          fix: 'check that the URL is the ActiveSync endpoint (…/Microsoft-Server-ActiveSync)',
        });
      return steps;
    }
    let folders: EasFolder[];
    try {
      await client.provision();
      const fs = await client.folderSync('0');
      folders = watchedFolders(fs.added, account.folders);
      steps.push({
        name: 'auth',
        ok: true,
        note: `signed in; ${fs.added.length} folders, watching ${folders.map((f) => f.name).join(', ')}`,
      });
    } catch (err) {
      const status = (err as { httpStatus?: number }).httpStatus;
      steps.push({
        name: 'auth',
        ok: false,
        note: reason(err),
        fix: status === 401 ? authFix : 'see the note; `tidings daemon --log-level debug` shows each request',
      });
      return steps;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), o.pingHoldMs);
    try {
      const r = await client.ping({
        heartbeat: account.heartbeat?.min ?? 60,
        folders: folders.map((f) => ({ id: f.id, class: classOf(collectionOf(f.type)!) })),
        signal: abort.signal,
      });
      steps.push(
        r.status === 1 || r.status === 2
          ? { name: 'ping', ok: true, note: `Ping answered (status ${r.status}): push works` }
          : {
              name: 'ping',
              ok: false,
              note: `Ping answered status ${r.status}`,
              fix: 'the daemon adapts (heartbeat, folder count); if it persists, report it with `--log-level debug` output',
            },
      );
    } catch (err) {
      if (abort.signal.aborted)
        steps.push({
          name: 'ping',
          ok: true,
          note: `the server held the Ping for ${o.pingHoldMs} ms: push works`,
        });
      else
        steps.push({
          name: 'ping',
          ok: false,
          note: reason(err),
          fix: 'a proxy or firewall may cut long requests; the daemon then learns a shorter heartbeat',
        });
    } finally {
      clearTimeout(timer);
    }
    return steps;
  } finally {
    if (own) await dispatcher.close().catch(() => {});
  }
}

/** CalDAV/CardDAV: DNS, TLS, then an authenticated OPTIONS that must announce the DAV class. */
async function checkDav(
  account: DavAccount,
  secret: SecretSource,
  o: CheckOptions & { timeoutMs: number; pingHoldMs: number },
): Promise<Step[]> {
  const steps: Step[] = [];
  if (!/^https?:\/\//.test(account.url)) {
    steps.push({
      name: 'discovery',
      ok: true,
      note: `${account.url} is not a URL: the watcher discovers the server by DNS SRV/TXT and /.well-known (RFC 6764)`,
    });
    return steps;
  }
  const u = new URL(account.url);
  steps.push(await dnsStep(u.hostname));
  if (!steps.at(-1)!.ok) return steps;
  steps.push(await tlsStep(u, account, o.timeoutMs));
  if (!steps.at(-1)!.ok) return steps;
  const dispatcher = createDispatcher({
    ...(account.tls ? { tls: account.tls } : {}),
    ...(account.proxy ? { proxy: account.proxy } : {}),
  });
  try {
    const auth = `Basic ${Buffer.from(`${account.username}:${await secret.get()}`, 'utf8').toString('base64')}`;
    const res = await request(account.url, {
      method: 'OPTIONS',
      headers: { authorization: auth },
      dispatcher,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode === 401 || res.statusCode === 403) {
      steps.push({
        name: 'auth',
        ok: false,
        note: `HTTP ${res.statusCode}`,
        fix: 'check --username and store the password again (tidings account add)',
      });
      return steps;
    }
    steps.push({
      name: 'auth',
      ok: res.statusCode < 400,
      note: `HTTP ${res.statusCode}`,
      ...(res.statusCode >= 400 ? { fix: 'check the URL' } : {}),
    });
    const dav = String(res.headers.dav ?? '');
    const want = account.kind === 'caldav' ? 'calendar-access' : 'addressbook';
    steps.push(
      dav.includes(want)
        ? { name: 'options', ok: true, note: `DAV: ${dav}` }
        : {
            name: 'options',
            ok: false,
            note: `the server does not announce ${want} (DAV: ${dav || 'absent'})`,
            fix: `give the ${account.kind === 'caldav' ? 'CalDAV' : 'CardDAV'} URL of the server`,
          },
    );
  } catch (err) {
    steps.push({ name: 'auth', ok: false, note: reason(err), fix: 'check the URL and the network' });
  } finally {
    await dispatcher.close().catch(() => {});
  }
  return steps;
}

/**
 * Tests an account with named checks in order, stopping at the first that fails (later ones
 * would only repeat it). Each passed step says what it found; each failed one says what to do.
 */
export async function testAccount(
  account: Account,
  secret: SecretSource,
  log: Logger,
  opts: CheckOptions = {},
): Promise<TestResult> {
  const o = { ...opts, timeoutMs: opts.timeoutMs ?? 15_000, pingHoldMs: opts.pingHoldMs ?? 3_000 };
  const steps =
    account.kind === 'exchange'
      ? await checkEas(account, secret, log, o)
      : await checkDav(account, secret, o);
  return { ok: steps.every((s) => s.ok), steps };
}
