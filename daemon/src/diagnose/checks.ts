import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Account, DavAccount, EasAccount, ImapAccount, JmapAccount } from '../config/account';
import { AutodiscoverError, type AutodiscoverOptions, autodiscover } from '../eas/autodiscover';
import type { EasAuth } from '../eas/auth';
import { authorityFor, createOAuthTokenProvider, OAuthError } from '../oauth';
import { EasClient } from '../eas/client';
import { deviceInformation, isValidDeviceId, newDeviceId } from '../eas/device';
import { applyHierarchy, classOf, collectionOf, type EasFolder, watchedFolders } from '../eas/folders';
import { EasHttp } from '../eas/transport';
import type { DiscoveryDns } from '../dav/discovery';
import { folderLabels } from '../folder-labels';
import type { TestResult } from '../ipc/protocol';
import { AccountDispatcher } from '../net/account-dispatcher';
import { ownConnectionOptions } from '../net/dispatcher';
import { DispatcherPool } from '../setup/dispatchers';
import { MemoryStore } from '../store/memory-store';
import type { StateStore } from '../store/types';
import type { SecretSource } from '../secrets/types';
import { davSetupSteps, davUrlProblem } from './dav-setup';
import { imapTokenProvider } from '../imap/oauth';

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
  /**
   * The daemon's dispatchers (setup/dispatchers.ts): the test connects as the account's watcher
   * does — the same shared dispatcher, the same own connection beside it, the same TLS material.
   * Absent, a pool of the test's own, built by the same code.
   */
  dispatchers?: DispatcherPool;
  /**
   * The daemon's state store: the account's DeviceId, policy key and folder hierarchy, so a test
   * is no new device on the server and leaves the watcher's sync state as it was. Absent (unit
   * tests), a store of the test's own.
   */
  store?: StateStore;
  /** Test hook: DNS SRV/TXT for CalDAV/CardDAV discovery from an address (RFC 6764). */
  davDns?: DiscoveryDns;
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

/** A handshake that failed on the certificate, not the network (OpenSSL's verify codes, Node's own). */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

const INSECURE_FIX =
  'put the server\'s CA certificate (PEM) in the account\'s "tls": {"ca": …} and remove "rejectUnauthorized": false';

/**
 * The TLS handshake the daemon makes: through the connector of the account's shared dispatcher
 * (net/dispatcher.ts), so `tls.ca` is read as the daemon reads it and the verdict is the one the
 * daemon's requests get. `tls.rejectUnauthorized: false` passes with a warning, never plain ok.
 */
async function tlsStep(url: URL, account: Account, timeoutMs: number, shared: Dispatcher): Promise<Step> {
  const insecure = account.tls?.rejectUnauthorized === false;
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
  const own = ownConnectionOptions(shared);
  if (!own) {
    // Through a proxy the handshake happens inside its tunnel: the next step's request checks it.
    return {
      name: 'tls',
      ok: true,
      note: `through the proxy: TLS is checked by the next request${insecure ? '; certificate verification is OFF' : ''}`,
      ...(insecure ? { warn: true, fix: INSECURE_FIX } : {}),
    };
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (step: Step) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(step);
    };
    const timer = setTimeout(
      () =>
        finish({
          name: 'tls',
          ok: false,
          note: `no TLS handshake with ${url.host} within ${timeoutMs} ms`,
          fix: 'check port and firewall',
        }),
      timeoutMs,
    );
    own.connect(
      { hostname: url.hostname, host: url.host, protocol: 'https:', port: url.port || '443' },
      (err, socket) => {
        if (err || !socket) {
          const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
          finish(
            CERT_ERROR.test(code)
              ? {
                  name: 'tls',
                  ok: false,
                  note: `the certificate of ${url.host} is not trusted: ${err?.message} (${code})`,
                  fix: 'if your organisation uses its own CA, put its PEM file in the account\'s "tls": {"ca": …}',
                }
              : {
                  name: 'tls',
                  ok: false,
                  note: `cannot connect to ${url.host}: ${code || err?.message}`,
                  fix: 'check the URL and port, and that a firewall or proxy lets the connection through',
                },
          );
          return;
        }
        const tls = socket as TLSSocket;
        const cert = tls.getPeerCertificate();
        const until = cert.valid_to ? `, valid until ${cert.valid_to}` : '';
        const who = cert.subject?.CN ? `certificate for ${cert.subject.CN}${until}` : 'certificate';
        const protocol = tls.getProtocol();
        tls.destroy();
        finish(
          insecure
            ? {
                name: 'tls',
                ok: true,
                warn: true,
                note: `${protocol} ${who}, NOT verified (tls.rejectUnauthorized: false): anyone on the path can read the password`,
                fix: INSECURE_FIX,
              }
            : { name: 'tls', ok: true, note: `${protocol} ${who}, verified` },
        );
      },
    );
  });
}

/** The account's dispatcher as its watcher builds it; a fault (unreadable tls.ca …) as a failed step. */
function sharedFor(account: Account, pool: DispatcherPool): Dispatcher | Step {
  try {
    return pool.for(account);
  } catch (err) {
    const field = (err as { field?: string }).field ?? 'tls';
    return {
      name: field.startsWith('proxy') ? 'proxy' : 'tls',
      ok: false,
      note: reason(err),
      fix: `fix "${field}" of this account in the config; the daemon cannot start this account either`,
    };
  }
}

/**
 * Store keys of an EAS account, as watch/eas-watcher.ts keeps them: the test speaks to the server
 * as the same device, with the same policy key and hierarchy, and stores what it learns back.
 */
const K = {
  deviceId: 'eas.deviceId',
  url: 'eas.url',
  policyKey: 'eas.policyKey',
  policy: 'eas.policy',
  folderSyncKey: 'eas.folderSyncKey',
  folders: 'eas.folders',
  maxFolders: 'eas.maxFolders',
  syncKey: (folderId: string) => `eas.syncKey.${folderId}`,
  baselining: (folderId: string) => `eas.baselining.${folderId}`,
} as const;

/**
 * Exchange: Autodiscover (when no URL), DNS, TLS, OPTIONS, auth (Provision + FolderSync), one
 * short Ping — on the daemon's code path: the account's dispatcher from the daemon's pool with
 * its own connection beside it (net/account-dispatcher.ts), the account's DeviceId and policy
 * key from the state store, Provision only when the watcher would provision, FolderSync from the
 * stored key (a FolderSync from "0" would reset the watcher's sync state on the server,
 * MS-ASCMD 2.2.1.5). So it cannot say "works" where the daemon fails, and is no new device.
 */
async function checkEas(
  account: EasAccount,
  secret: SecretSource,
  log: Logger,
  o: CheckOptions & { timeoutMs: number; pingHoldMs: number; pool: DispatcherPool; store: StateStore },
): Promise<Step[]> {
  const steps: Step[] = [];
  const shared = sharedFor(account, o.pool);
  if (!('dispatch' in shared)) return [shared];
  const own = o.dispatcher ? undefined : ownConnectionOptions(shared);
  const accountDispatcher = own ? new AccountDispatcher(shared, own) : undefined;
  const dispatcher: Dispatcher = o.dispatcher ?? accountDispatcher ?? shared;
  const store = o.store;
  const get = <T>(key: string) => store.get<T>(account.id, key);
  const put = (set: Record<string, unknown>, del: string[] = []) =>
    store.commit(account.id, { set, ...(del.length ? { delete: del } : {}) });
  try {
    let url = get<string>(K.url) ?? account.url;
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
    steps.push(await tlsStep(u, account, o.timeoutMs, shared));
    if (!steps.at(-1)!.ok) return steps;
    accountDispatcher?.home(url);
    let deviceId = get<string>(K.deviceId);
    if (!isValidDeviceId(deviceId)) {
      deviceId = newDeviceId();
      put({ [K.deviceId]: deviceId });
    }
    const http = new EasHttp({
      url,
      user: account.username ?? account.email,
      deviceId,
      auth,
      dispatcher,
      // A move is followed for this test only; the watcher decides whether to keep it.
      onRedirect: (next) => accountDispatcher?.home(next),
    });
    const policyKey = get<string>(K.policyKey);
    const client = new EasClient({
      http,
      version: account.protocolVersion ?? '14.1',
      ...(policyKey ? { policyKey } : {}),
      log,
      deviceInfo: deviceInformation(),
      onProvisioned: (r) => {
        if (r.wipe) return;
        put(
          {
            [K.policy]: r.policyKey ? 'applied' : 'none',
            ...(r.policyKey ? { [K.policyKey]: r.policyKey } : {}),
          },
          r.policyKey ? [] : [K.policyKey],
        );
      },
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
      if (get(K.policy) === undefined) await client.provision();
      folders = await folderSync(client, get, put);
      const watched = watchedFolders(folders, account.folders, get<number>(K.maxFolders));
      steps.push({
        name: 'auth',
        ok: true,
        note: `signed in; ${folders.length} folders, watching ${folderLabels(watched.map((f) => ({ name: f.name, collection: collectionOf(f.type) ?? 'mail' }))).join(', ')}`,
      });
      folders = watched;
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
    await accountDispatcher?.close().catch(() => {});
  }
}

/**
 * FolderSync from the stored key, the hierarchy applied and stored as the watcher stores it
 * (watch/eas-watcher.ts #folderSync): a stale key (Status 9) restarts from "0" and forgets every
 * folder's SyncKey, which the server reset too.
 */
async function folderSync(
  client: EasClient,
  get: <T>(key: string) => T | undefined,
  put: (set: Record<string, unknown>, del?: string[]) => unknown,
): Promise<EasFolder[]> {
  let key = get<string>(K.folderSyncKey) ?? '0';
  let known = key === '0' ? [] : (get<EasFolder[]>(K.folders) ?? []);
  let result: Awaited<ReturnType<EasClient['folderSync']>>;
  try {
    result = await client.folderSync(key);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EAS_ERR_SYNC_STATE' || key === '0') throw err;
    key = '0';
    known = [];
    result = await client.folderSync('0');
  }
  const previous = get<EasFolder[]>(K.folders) ?? [];
  const next = applyHierarchy(known, result);
  const gone = key === '0' ? previous : previous.filter((f) => !next.some((n) => n.id === f.id));
  put(
    { [K.folderSyncKey]: result.syncKey, [K.folders]: next },
    gone.flatMap((f) => [K.syncKey(f.id), K.baselining(f.id)]),
  );
  return next;
}

/** CalDAV/CardDAV: DNS, TLS, then an authenticated OPTIONS that must announce the DAV class. */
async function checkDav(
  account: DavAccount,
  secret: SecretSource,
  o: CheckOptions & { timeoutMs: number; pingHoldMs: number; pool: DispatcherPool },
): Promise<Step[]> {
  const steps: Step[] = [];
  // The DAV watcher's dispatcher: the pool's shared one for the account's TLS and proxy.
  const shared = sharedFor(account, o.pool);
  if (!('dispatch' in shared)) return [shared];
  // A server URL gets the network checks first; an address goes straight to RFC 6764 discovery,
  // and a URL that cannot work (ftp://) is refused there (issue 16).
  if (/^https?:\/\//i.test(account.url) && davUrlProblem(account.url, account.kind) === undefined) {
    const u = new URL(account.url);
    steps.push(await dnsStep(u.hostname));
    if (!steps.at(-1)!.ok) return steps;
    steps.push(await tlsStep(u, account, o.timeoutMs, shared));
    if (!steps.at(-1)!.ok) return steps;
  }
  steps.push(
    ...(await davSetupSteps(account, secret, {
      dispatcher: o.dispatcher ?? shared,
      timeoutMs: o.timeoutMs,
      ...(o.davDns ? { dns: o.davDns } : {}),
    })),
  );
  return steps;
}

/** IMAP (issue 17): DNS, TLS + login as the watcher connects, each mailbox's STATUS, the push mode. */
async function checkImapAccount(
  account: ImapAccount,
  secret: SecretSource,
  log: Logger,
  o: CheckOptions & { timeoutMs: number; pool: DispatcherPool },
): Promise<Step[]> {
  const shared = sharedFor(account, o.pool);
  if (!('dispatch' in shared)) return [shared];
  const tokens = imapTokenProvider(account, secret, shared, log);
  // Loaded on use: imapflow stays out of the main bundle (watch/imap-lazy.ts).
  const { checkImap } = await import('../imap/check');
  return checkImap(account, secret, log, { timeoutMs: o.timeoutMs, ...(tokens ? { tokens } : {}) });
}

/** JMAP (issue 17): the session, the watched mailboxes, whether the push endpoint pushes. */
async function checkJmapAccount(
  account: JmapAccount,
  secret: SecretSource,
  log: Logger,
  o: CheckOptions & { timeoutMs: number; pool: DispatcherPool },
): Promise<Step[]> {
  const shared = sharedFor(account, o.pool);
  if (!('dispatch' in shared)) return [shared];
  const a = account.auth;
  const tokens =
    a.type === 'oauth2'
      ? createOAuthTokenProvider({
          clientId: a.clientId,
          authority: a.authority,
          scope: a.scope,
          refreshToken: secret,
          dispatcher: shared,
          log,
        })
      : undefined;
  // Imported on use, as the IMAP check is: `account test` of another kind never loads it.
  const { checkJmap } = await import('../jmap/check');
  return checkJmap(account, secret, {
    dispatcher: o.dispatcher ?? shared,
    timeoutMs: o.timeoutMs,
    ...(tokens ? { tokens } : {}),
  });
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
  const pool = opts.dispatchers ?? new DispatcherPool();
  const store = opts.store ?? new MemoryStore();
  const o = {
    ...opts,
    timeoutMs: opts.timeoutMs ?? 15_000,
    pingHoldMs: opts.pingHoldMs ?? 3_000,
    pool,
    store,
  };
  try {
    const steps =
      account.kind === 'exchange'
        ? await checkEas(account, secret, log, o)
        : account.kind === 'imap'
          ? await checkImapAccount(account, secret, log, o)
          : account.kind === 'jmap'
            ? await checkJmapAccount(account, secret, log, o)
            : await checkDav(account, secret, o);
    return { ok: steps.every((s) => s.ok), steps };
  } finally {
    if (!opts.dispatchers) await pool.close();
    if (!opts.store) store.close();
  }
}
