import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { AutodiscoverError, type AutodiscoverAttempt } from './errors';
import { runCandidate, type SrvRecord } from './http';
import {
  type AutodiscoverVia,
  candidateKey,
  candidatesFor,
  decide,
  defaultOrigin,
  exhausted,
  needsConsent,
  type OriginFor,
  type SearchState,
} from './plan';

export { AutodiscoverError, type AutodiscoverAttempt, type AutodiscoverErrorCode } from './errors';
export type { AutodiscoverVia, OriginFor } from './plan';
export type { SrvRecord } from './http';

/** node:dns/promises on first use: a daemon that is not discovering never loads it. */
const systemResolveSrv = async (name: string): Promise<SrvRecord[]> =>
  (await import('node:dns/promises')).resolveSrv(name);

export interface AutodiscoverOptions {
  /** undici dispatcher (custom CA, client certificate, proxy); the global one when absent. */
  dispatcher?: Dispatcher;
  /** Login name when it differs from the address (DOMAIN\\user or UPN); Basic auth only. */
  username?: string;
  /** Basic-auth password, fetched when first needed. */
  password?: () => Promise<string>;
  /** OAuth2 access token (Exchange Online); wins over `password`. */
  bearer?: () => Promise<string>;
  log?: Logger;
  signal?: AbortSignal;
  /** DNS SRV lookup; `dns.promises.resolveSrv` by default. */
  resolveSrv?: (name: string) => Promise<SrvRecord[]>;
  /** Redirects of every kind (address, URL, HTTP 3xx) before giving up; MS-OXDSCLI 3.1.5 suggests 10. */
  maxHops?: number;
  /** Try OPTIONS on https://<domain>/ and https://mail.<domain>/Microsoft-Server-ActiveSync last (default true). */
  probeOptions?: boolean;
  /**
   * Test override: the origin used to reach a host (`(scheme, host) => 'https://host:port'`).
   * Host names stay in the URL, so TLS server names and Host headers are the real ones.
   */
  baseUrls?: OriginFor;
  /**
   * Asked before POSTing credentials to a host found through the cleartext GET redirect or DNS
   * SRV that lies outside the address's domain and Microsoft 365 (MS-OXDSCLI 3.1.5.4). Absent,
   * such hosts are skipped.
   */
  trustRedirect?: (url: string) => Promise<boolean>;
  /** Per-request headers and body timeout, ms (default 30 s). */
  timeoutMs?: number;
}

export interface AutodiscoverResult {
  /** The EAS endpoint, …/Microsoft-Server-ActiveSync. */
  url: string;
  via: AutodiscoverVia;
  displayName?: string;
  /** Every URL tried and what came of it, the successful one last. */
  attempts: AutodiscoverAttempt[];
}

/**
 * Finds the ActiveSync endpoint for `email` (MS-ASCMD 3.1.5.1, MS-OXDSCLI 3.1.5): candidates are
 * tried in order, redirects restart or redirect the search with a hop cap, and the first
 * MobileSync URL wins. Throws `AutodiscoverError` listing every attempt when none does.
 */
export async function autodiscover(
  email: string,
  opts: AutodiscoverOptions = {},
): Promise<AutodiscoverResult> {
  const origin = opts.baseUrls ?? defaultOrigin;
  const probeOptions = opts.probeOptions ?? true;
  const log = opts.log?.child({ component: 'autodiscover' });
  let state: SearchState = {
    email,
    queue: candidatesFor(email, { origin, probeOptions }),
    hops: 0,
    maxHops: opts.maxHops ?? 10,
    probeOptions,
    attempts: [],
    tried: [],
    unauthorized: false,
  };
  for (;;) {
    const [candidate, ...rest] = state.queue;
    if (candidate === undefined) throw exhausted(state);
    state = { ...state, queue: rest };
    if (state.tried.includes(candidateKey(candidate, state.email))) continue;
    if (opts.signal?.aborted) {
      throw new AutodiscoverError('EAS_ERR_AUTODISCOVER_ABORTED', 'Autodiscover was cancelled', {
        attempts: state.attempts,
        cause: opts.signal.reason,
      });
    }
    if (
      candidate.kind === 'pox' &&
      needsConsent(candidate, state.email) &&
      !(await opts.trustRedirect?.(candidate.url))
    ) {
      state = decide(state, candidate, {
        kind: 'failed',
        reason: 'skipped: found by an unauthenticated step outside the address domain, and not confirmed',
      }).state;
      continue;
    }
    const outcome = await runCandidate(candidate, {
      email: state.email,
      resolveSrv: opts.resolveSrv ?? systemResolveSrv,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      ...(opts.username === undefined ? {} : { username: opts.username }),
      ...(opts.password ? { password: opts.password } : {}),
      ...(opts.bearer ? { bearer: opts.bearer } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const decision = decide(state, candidate, outcome, origin);
    const last = decision.state.attempts.at(-1);
    log?.debug({ via: candidate.via, url: last?.url, outcome: last?.outcome }, 'autodiscover attempt');
    if (decision.kind === 'done') {
      log?.info({ url: decision.url, via: decision.via }, 'autodiscover found the ActiveSync endpoint');
      return {
        url: decision.url,
        via: decision.via,
        ...(decision.displayName === undefined ? {} : { displayName: decision.displayName }),
        attempts: decision.state.attempts,
      };
    }
    state = decision.state;
  }
}
