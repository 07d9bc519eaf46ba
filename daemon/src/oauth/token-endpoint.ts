import { type Dispatcher, request } from 'undici';
import { OAuthError, type OAuthErrorCode } from './errors';

/** Tokens as the client keeps them. `expiresAt` is ms since the epoch on the caller's clock. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  scope?: string;
  tokenType: string;
}

/** A form POST's answer, before interpretation. */
export interface FormResponse {
  status: number;
  body: string;
}

/** Token and device-code answers are small; a cap keeps a broken proxy from filling memory. */
const MAX_BODY = 64 * 1024;

const ERROR_CODES: Record<string, OAuthErrorCode> = {
  invalid_grant: 'EAS_ERR_OAUTH_INVALID_GRANT',
  interaction_required: 'EAS_ERR_OAUTH_INTERACTION_REQUIRED',
  consent_required: 'EAS_ERR_OAUTH_INTERACTION_REQUIRED',
  login_required: 'EAS_ERR_OAUTH_INTERACTION_REQUIRED',
  access_denied: 'EAS_ERR_OAUTH_ACCESS_DENIED',
  authorization_declined: 'EAS_ERR_OAUTH_ACCESS_DENIED',
  expired_token: 'EAS_ERR_OAUTH_EXPIRED_TOKEN',
};

function json(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Entra's descriptions run to several lines of trace ids; the first line is what a person needs. */
function firstLine(s: string | undefined): string {
  return (s ?? '').split(/\r?\n/)[0]!.slice(0, 300);
}

/**
 * Turns an OAuth error answer (RFC 6749 §5.2) or an HTTP failure into an OAuthError. 429 and
 * 5xx are transient (`EAS_ERR_OAUTH_NETWORK`) whatever the body says.
 */
export function oauthErrorOf(res: FormResponse, what: string): OAuthError {
  const o = json(res.body);
  const error = str(o?.error);
  if (res.status === 429 || res.status >= 500) {
    return new OAuthError('EAS_ERR_OAUTH_NETWORK', `${what}: HTTP ${res.status}`, {
      status: res.status,
      ...(error === undefined ? {} : { oauthError: error }),
    });
  }
  if (error === undefined) {
    return new OAuthError(
      'EAS_ERR_OAUTH_BAD_RESPONSE',
      `${what}: HTTP ${res.status} without an OAuth error`,
      {
        status: res.status,
      },
    );
  }
  const desc = firstLine(str(o?.error_description));
  return new OAuthError(
    ERROR_CODES[error] ?? 'EAS_ERR_OAUTH_SERVER',
    `${what}: ${error}${desc ? ` (${desc})` : ''}`,
    {
      status: res.status,
      oauthError: error,
    },
  );
}

/** Parses a token answer (RFC 6749 §5.1) received at `now`. Pure. */
export function parseTokenResponse(res: FormResponse, now: number): TokenSet {
  if (res.status !== 200) throw oauthErrorOf(res, 'token endpoint');
  const o = json(res.body);
  const accessToken = str(o?.access_token);
  if (o === undefined || accessToken === undefined) {
    throw new OAuthError('EAS_ERR_OAUTH_BAD_RESPONSE', 'token endpoint: answer has no access_token', {
      status: res.status,
    });
  }
  const tokenType = str(o.token_type) ?? 'Bearer';
  if (tokenType.toLowerCase() !== 'bearer') {
    throw new OAuthError('EAS_ERR_OAUTH_BAD_RESPONSE', `token endpoint: unsupported token_type ${tokenType}`);
  }
  // expires_in is RECOMMENDED, and Entra has sent it as a string; assume an hour when absent.
  const expiresIn = Number(o.expires_in ?? 3600);
  const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600;
  const refreshToken = str(o.refresh_token);
  const scope = str(o.scope);
  return {
    accessToken,
    tokenType,
    expiresAt: now + lifetime * 1000,
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(scope === undefined ? {} : { scope }),
  };
}

export interface PostOptions {
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * POSTs `application/x-www-form-urlencoded` parameters (RFC 6749 §4.1.3, §6; RFC 8628 §3.1, §3.4).
 * The I/O edge: transport failures become `EAS_ERR_OAUTH_NETWORK`, aborts `EAS_ERR_OAUTH_ABORTED`.
 */
export async function postForm(
  url: string,
  params: Record<string, string>,
  opts: PostOptions = {},
): Promise<FormResponse> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
      headersTimeout: opts.timeoutMs ?? 30_000,
      bodyTimeout: opts.timeoutMs ?? 30_000,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.body.destroy();
        throw new OAuthError(
          'EAS_ERR_OAUTH_BAD_RESPONSE',
          `${new URL(url).pathname}: answer larger than ${MAX_BODY} bytes`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    if (opts.signal?.aborted)
      throw new OAuthError('EAS_ERR_OAUTH_ABORTED', 'sign-in was cancelled', { cause: err });
    const code = (err as { code?: unknown }).code;
    // The URL is safe to name: parameters travel in the body, never in the query.
    throw new OAuthError(
      'EAS_ERR_OAUTH_NETWORK',
      `cannot reach ${new URL(url).origin}${typeof code === 'string' ? ` (${code})` : ''}`,
      { cause: err },
    );
  }
}

/** POSTs a token request and parses the answer. */
export async function requestTokens(
  url: string,
  params: Record<string, string>,
  clock: () => number,
  opts: PostOptions = {},
): Promise<TokenSet> {
  const sentAt = clock();
  return parseTokenResponse(await postForm(url, params, opts), sentAt);
}
