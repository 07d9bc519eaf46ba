import { type Dispatcher, request } from 'undici';
import { authorization as authHeader, type EasAuth } from '../auth';
import { AutodiscoverError } from './errors';
import { MAX_RESPONSE_BYTES, parseJsonResponse, parsePoxResponse, type AutodiscoverAnswer } from './parse';
import type { Candidate, Outcome } from './plan';
import { buildPoxRequest } from './request';

/** An SRV answer as `dns.promises.resolveSrv` gives it. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** What the edge needs to try one candidate. */
export interface CandidateContext {
  email: string;
  dispatcher?: Dispatcher;
  username?: string;
  password?: () => Promise<string>;
  bearer?: () => Promise<string>;
  signal?: AbortSignal;
  resolveSrv: (name: string) => Promise<SrvRecord[]>;
  /** Headers and body timeout per request, ms. */
  timeoutMs: number;
}

const USER_AGENT = 'Tidings-Autodiscover/1';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Credentials go only over TLS; the GET-redirect step is unauthenticated by design (MS-OXDSCLI 3.1.5.4). */
async function authorization(url: string, ctx: CandidateContext): Promise<Record<string, string>> {
  if (!url.startsWith('https:')) return {};
  const { bearer, password } = ctx;
  const auth: EasAuth | undefined = bearer
    ? { kind: 'bearer', tokens: { getAccessToken: () => bearer() } }
    : password
      ? { kind: 'basic', username: ctx.username ?? ctx.email, password }
      : undefined;
  return auth ? { authorization: await authHeader(auth) } : {};
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new AutodiscoverError(
        'EAS_ERR_AUTODISCOVER_BAD_RESPONSE',
        `response larger than ${MAX_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Network-level failures in the words `tidings doctor` shows: the code, then the message. */
function networkReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code =
    typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  // Node's own messages already name the code ("getaddrinfo ENOTFOUND host"): say it once.
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

function fromAnswer(a: AutodiscoverAnswer): Outcome {
  switch (a.kind) {
    case 'settings':
      return a.displayName === undefined
        ? { kind: 'found', url: a.url }
        : { kind: 'found', url: a.url, displayName: a.displayName };
    case 'redirect-addr':
      return { kind: 'redirect-addr', email: a.email };
    case 'redirect-url':
      return { kind: 'redirect-url', url: a.url, how: 'redirectUrl' };
    case 'error':
      return { kind: 'server-error', message: a.message };
  }
}

async function httpCandidate(
  c: Exclude<Candidate, { kind: 'srv' }>,
  ctx: CandidateContext,
): Promise<Outcome> {
  const method = c.kind === 'pox' ? 'POST' : c.kind === 'options' ? 'OPTIONS' : 'GET';
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    ...(c.kind === 'get-redirect' || c.kind === 'json' ? {} : await authorization(c.url, ctx)),
  };
  if (c.kind === 'pox') headers['content-type'] = 'text/xml; charset=utf-8';
  if (c.kind === 'json') headers.accept = 'application/json';
  const res = await request(c.url, {
    method,
    headers,
    ...(c.kind === 'pox' ? { body: buildPoxRequest(ctx.email) } : {}),
    ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    headersTimeout: ctx.timeoutMs,
    bodyTimeout: ctx.timeoutMs,
  });
  const location = header(res.headers, 'location');
  if (REDIRECTS.has(res.statusCode) && location !== undefined) {
    await res.body.dump();
    return {
      kind: 'redirect-url',
      url: new URL(location, c.url).href,
      how: `HTTP ${res.statusCode} redirect`,
    };
  }
  if (c.kind === 'get-redirect') {
    await res.body.dump();
    return { kind: 'failed', reason: `HTTP ${res.statusCode}, no redirect offered` };
  }
  if (res.statusCode === 401) {
    await res.body.dump();
    return { kind: 'unauthorized', status: 401 };
  }
  if (c.kind === 'options') {
    await res.body.dump();
    if (res.statusCode !== 200) return { kind: 'failed', reason: `HTTP ${res.statusCode}` };
    // MS-ASHTTP 2.2.4: an EAS endpoint answers OPTIONS with its protocol versions.
    return header(res.headers, 'ms-asprotocolversions') === undefined
      ? { kind: 'failed', reason: 'HTTP 200 without MS-ASProtocolVersions: not an ActiveSync endpoint' }
      : { kind: 'found', url: c.url };
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    return { kind: 'failed', reason: `HTTP ${res.statusCode}` };
  }
  const body = await readCapped(res.body);
  return fromAnswer(c.kind === 'json' ? parseJsonResponse(body) : parsePoxResponse(body));
}

async function srvCandidate(name: string, ctx: CandidateContext): Promise<Outcome> {
  const records = await ctx.resolveSrv(name);
  const sorted = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  return { kind: 'srv-targets', targets: sorted.map((r) => ({ name: r.name, port: r.port })) };
}

/**
 * Tries one candidate and reports what happened. Never throws for what a server or the network
 * did: those become outcomes, so the search moves on and `attempts` records why. Only the
 * caller's abort escapes, as `EAS_ERR_AUTODISCOVER_ABORTED`.
 */
export async function runCandidate(c: Candidate, ctx: CandidateContext): Promise<Outcome> {
  try {
    return c.kind === 'srv' ? await srvCandidate(c.name, ctx) : await httpCandidate(c, ctx);
  } catch (err) {
    if (ctx.signal?.aborted) {
      throw new AutodiscoverError('EAS_ERR_AUTODISCOVER_ABORTED', 'Autodiscover was cancelled', {
        cause: err,
      });
    }
    if (err instanceof AutodiscoverError)
      return { kind: 'failed', reason: `rejected response: ${err.message}` };
    return { kind: 'failed', reason: networkReason(err) };
  }
}
