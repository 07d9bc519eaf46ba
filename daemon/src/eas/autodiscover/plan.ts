import type { AutodiscoverAttempt } from './errors';
import { AutodiscoverError } from './errors';

/** How the EAS endpoint was found; `attempts` tells the whole path. */
export type AutodiscoverVia =
  | 'pox-domain'
  | 'pox-autodiscover-host'
  | 'http-redirect'
  | 'json'
  | 'srv'
  | 'options-probe';

/** One thing to try. `via` names the step of MS-OXDSCLI 3.1.5 that produced it. */
export type Candidate =
  /** `unverified`: found through a step nobody authenticated (cleartext HTTP redirect, DNS SRV). */
  | { kind: 'pox'; url: string; via: AutodiscoverVia; unverified?: boolean }
  | { kind: 'get-redirect'; url: string; via: 'http-redirect' }
  | { kind: 'json'; url: string; via: 'json' }
  | { kind: 'srv'; name: string; via: 'srv' }
  | { kind: 'options'; url: string; via: 'options-probe' };

/** What the I/O edge learned from one candidate. */
export type Outcome =
  | { kind: 'found'; url: string; displayName?: string }
  | { kind: 'redirect-addr'; email: string }
  /** A POX `redirectUrl` or an HTTP 3xx `Location`. */
  | { kind: 'redirect-url'; url: string; how: string }
  | { kind: 'srv-targets'; targets: { name: string; port: number }[] }
  | { kind: 'unauthorized'; status: number }
  | { kind: 'server-error'; message: string }
  | { kind: 'failed'; reason: string };

/** Maps a host to the origin used to reach it; tests point it at a fixture port. */
export type OriginFor = (scheme: 'http' | 'https', host: string) => string;

export const defaultOrigin: OriginFor = (scheme, host) => `${scheme}://${host}`;

const POX_PATH = '/autodiscover/autodiscover.xml';
const EAS_PATH = '/Microsoft-Server-ActiveSync';

/** Splits an address into its domain (lower-case, IDNA-encoded), or throws BAD_EMAIL. */
export function domainOf(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = at > 0 ? email.slice(at + 1) : '';
  // A host name with at least one dot and nothing that would change the URL we build from it.
  if (/^[^\s/:?#@[\]\\]+\.[^\s/:?#@[\]\\]+$/u.test(domain)) {
    try {
      return new URL(`https://${domain}`).hostname.replace(/\.$/, '');
    } catch {
      // falls through to the error below
    }
  }
  throw new AutodiscoverError(
    'EAS_ERR_AUTODISCOVER_BAD_EMAIL',
    `"${email}" is not an e-mail address with a domain`,
  );
}

/**
 * The candidates for `email`, in the order of MS-OXDSCLI 3.1.5 as it applies to ActiveSync
 * (MS-ASCMD 3.1.5.1): POX on the domain, POX on autodiscover.<domain>, the unauthenticated
 * HTTP GET redirect, Microsoft 365's JSON endpoint, DNS SRV, and finally OPTIONS on the
 * usual EAS URLs for servers that publish no Autodiscover at all.
 */
export function candidatesFor(
  email: string,
  opts: { origin?: OriginFor; probeOptions?: boolean } = {},
): Candidate[] {
  const origin = opts.origin ?? defaultOrigin;
  const domain = domainOf(email);
  const adHost = `autodiscover.${domain}`;
  const query = `?Email=${encodeURIComponent(email)}&Protocol=ActiveSync`;
  const list: Candidate[] = [
    { kind: 'pox', url: origin('https', domain) + POX_PATH, via: 'pox-domain' },
    { kind: 'pox', url: origin('https', adHost) + POX_PATH, via: 'pox-autodiscover-host' },
    { kind: 'get-redirect', url: origin('http', adHost) + POX_PATH, via: 'http-redirect' },
    // Custom domains on Microsoft 365 point autodiscover.<domain> at autodiscover.outlook.com,
    // which serves the JSON endpoint; some tenants serve it on the bare domain.
    { kind: 'json', url: `${origin('https', domain)}/autodiscover/autodiscover.json${query}`, via: 'json' },
    { kind: 'json', url: `${origin('https', adHost)}/autodiscover/autodiscover.json${query}`, via: 'json' },
    { kind: 'srv', name: `_autodiscover._tcp.${domain}`, via: 'srv' },
  ];
  if (opts.probeOptions !== false) {
    list.push(
      { kind: 'options', url: origin('https', domain) + EAS_PATH, via: 'options-probe' },
      { kind: 'options', url: origin('https', `mail.${domain}`) + EAS_PATH, via: 'options-probe' },
    );
  }
  return list;
}

/** SRV answers in the order RFC 2782 asks for (lowest priority, then highest weight), as POX candidates. */
export function srvCandidates(targets: { name: string; port: number }[], origin: OriginFor): Candidate[] {
  return targets
    .filter((t) => t.name !== '' && t.name !== '.')
    .map((t) => {
      const name = t.name.replace(/\.$/, '');
      const base = t.port === 443 ? origin('https', name) : `https://${name}:${t.port}`;
      return { kind: 'pox', url: base + POX_PATH, via: 'srv', unverified: true } as const;
    });
}

/** The search in progress. Immutable: `decide` returns a new one. */
export interface SearchState {
  email: string;
  queue: Candidate[];
  hops: number;
  maxHops: number;
  probeOptions: boolean;
  attempts: AutodiscoverAttempt[];
  /** `kind url email` of every candidate tried, so a redirect back to one is not followed again. */
  tried: string[];
  unauthorized: boolean;
  serverError?: string;
}

export function candidateKey(c: Candidate, email: string): string {
  return `${c.kind} ${c.kind === 'srv' ? c.name : c.url} ${email.toLowerCase()}`;
}

export function candidateTarget(c: Candidate): string {
  return c.kind === 'srv' ? `dns:SRV ${c.name}` : c.kind === 'options' ? `OPTIONS ${c.url}` : c.url;
}

/** The next step after an outcome. */
export type Decision =
  | { kind: 'continue'; state: SearchState }
  | { kind: 'done'; url: string; via: AutodiscoverVia; displayName?: string; state: SearchState };

function describe(o: Outcome): string {
  switch (o.kind) {
    case 'found':
      return `found ${o.url}`;
    case 'redirect-addr':
      return `redirected to address ${o.email}`;
    case 'redirect-url':
      return `${o.how} to ${o.url}`;
    case 'srv-targets':
      return o.targets.length === 0
        ? 'no SRV records'
        : `SRV: ${o.targets.map((t) => `${t.name}:${t.port}`).join(', ')}`;
    case 'unauthorized':
      return `HTTP ${o.status}: credentials refused`;
    case 'server-error':
      return `server error: ${o.message}`;
    case 'failed':
      return o.reason;
  }
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** What a redirect to `url` becomes: the GET redirect's target is then POSTed (MS-OXDSCLI 3.1.5.4). */
function followed(c: Candidate, url: string): Candidate {
  switch (c.kind) {
    case 'json':
      return { kind: 'json', url, via: c.via };
    case 'options':
      return { kind: 'options', url, via: c.via };
    case 'pox':
      return c.unverified
        ? { kind: 'pox', url, via: c.via, unverified: true }
        : { kind: 'pox', url, via: c.via };
    // Whatever an unauthenticated step pointed at stays unverified through further redirects.
    case 'get-redirect':
    case 'srv':
      return { kind: 'pox', url, via: c.via, unverified: true };
  }
}

/** Microsoft 365's Autodiscover hosts, where the GET redirect of a hosted domain lands. */
const MICROSOFT_SUFFIXES = ['.outlook.com', '.office365.com', '.office.com'];

/**
 * Whether `c` must be confirmed before credentials go to it. MS-OXDSCLI 3.1.5.4 and 3.1.5.3:
 * the cleartext GET redirect and DNS SRV are unauthenticated, so a network attacker can point
 * them anywhere; Outlook asks the person. We trust without asking only hosts inside the
 * address's own domain and Microsoft 365's.
 */
export function needsConsent(c: Candidate, email: string): boolean {
  if (c.kind !== 'pox' || !c.unverified) return false;
  const host = new URL(c.url).hostname;
  const domain = domainOf(email);
  if (host === domain || host.endsWith(`.${domain}`)) return false;
  return !MICROSOFT_SUFFIXES.some((s) => host.endsWith(s));
}

/**
 * Decides what to try after `candidate` gave `outcome`. Pure: no sockets, no clock. Throws
 * `EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS` once redirects of any kind exceed `maxHops`.
 */
export function decide(
  state: SearchState,
  candidate: Candidate,
  outcome: Outcome,
  origin: OriginFor = defaultOrigin,
): Decision {
  const attempts = [...state.attempts, { url: candidateTarget(candidate), outcome: describe(outcome) }];
  const tried = [...state.tried, candidateKey(candidate, state.email)];
  const next: SearchState = { ...state, attempts, tried };
  const hop = (): number => {
    const hops = state.hops + 1;
    if (hops > state.maxHops) {
      throw new AutodiscoverError(
        'EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS',
        `Autodiscover followed more than ${state.maxHops} redirects`,
        { attempts },
      );
    }
    return hops;
  };
  const refuse = (reason: string): Decision => ({
    kind: 'continue',
    state: { ...next, attempts: [...state.attempts, { url: candidateTarget(candidate), outcome: reason }] },
  });

  switch (outcome.kind) {
    case 'found':
      // The endpoint will receive credentials; never over cleartext (MS-ASHTTP 2.1 requires TLS in practice).
      if (!isHttps(outcome.url)) return refuse(`refused non-https EAS URL ${outcome.url}`);
      return {
        kind: 'done',
        url: outcome.url,
        via: candidate.via,
        ...(outcome.displayName === undefined ? {} : { displayName: outcome.displayName }),
        state: next,
      };
    case 'redirect-addr': {
      if (outcome.email.toLowerCase() === state.email.toLowerCase()) {
        return refuse(`redirected to the same address ${outcome.email}; ignored`);
      }
      let queue: Candidate[];
      try {
        queue = candidatesFor(outcome.email, { origin, probeOptions: state.probeOptions });
      } catch {
        return refuse(`redirected to unusable address ${JSON.stringify(outcome.email)}; ignored`);
      }
      const hops = hop();
      // MS-OXDSCLI 3.1.5.2: a new address restarts the whole search with it.
      return { kind: 'continue', state: { ...next, email: outcome.email, hops, queue } };
    }
    case 'redirect-url': {
      if (!isHttps(outcome.url)) return refuse(`refused ${outcome.how} to non-https ${outcome.url}`);
      const target = followed(candidate, outcome.url);
      if (tried.includes(candidateKey(target, state.email))) {
        return refuse(`${outcome.how} loops back to ${outcome.url}; ignored`);
      }
      const hops = hop();
      return { kind: 'continue', state: { ...next, hops, queue: [target, ...state.queue] } };
    }
    case 'srv-targets':
      return {
        kind: 'continue',
        state: { ...next, queue: [...srvCandidates(outcome.targets, origin), ...state.queue] },
      };
    case 'unauthorized':
      return { kind: 'continue', state: { ...next, unauthorized: true } };
    case 'server-error':
      return { kind: 'continue', state: { ...next, serverError: state.serverError ?? outcome.message } };
    case 'failed':
      return { kind: 'continue', state: next };
  }
}

/** The error to throw when the queue runs dry: the most actionable cause wins. */
export function exhausted(state: SearchState): AutodiscoverError {
  const attempts = state.attempts;
  if (state.unauthorized) {
    return new AutodiscoverError(
      'EAS_ERR_AUTODISCOVER_UNAUTHORIZED',
      `Autodiscover for ${state.email}: the server refused the credentials`,
      { attempts },
    );
  }
  if (state.serverError !== undefined) {
    return new AutodiscoverError(
      'EAS_ERR_AUTODISCOVER_SERVER_ERROR',
      `Autodiscover for ${state.email}: ${state.serverError}`,
      { attempts },
    );
  }
  return new AutodiscoverError(
    'EAS_ERR_AUTODISCOVER_NOT_FOUND',
    `Autodiscover found no ActiveSync server for ${state.email} after ${attempts.length} attempts`,
    { attempts },
  );
}
