import { timingSafeEqual } from 'node:crypto';
import { OAuthError } from './errors';

export interface AuthorizeParams {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  /** Pre-fills the account picker (Entra `login_hint`). */
  loginHint?: string;
  /** Entra `prompt`: `select_account`, `login` or `consent`. */
  prompt?: string;
  /** `response_mode=query` (Entra documents it; Google has no such parameter). Default true. */
  responseModeQuery?: boolean;
  /** The provider's own parameters (Google: `access_type=offline`, `prompt=consent`). */
  extra?: Record<string, string>;
}

/** The authorization request URL (RFC 6749 §4.1.1 with RFC 7636 §4.3). Pure. */
export function buildAuthorizeUrl(p: AuthorizeParams): string {
  const url = new URL(p.authorizeUrl);
  const q = url.searchParams;
  q.set('client_id', p.clientId);
  q.set('response_type', 'code');
  q.set('redirect_uri', p.redirectUri);
  if (p.responseModeQuery !== false) q.set('response_mode', 'query');
  q.set('scope', p.scope);
  q.set('state', p.state);
  q.set('code_challenge', p.codeChallenge);
  q.set('code_challenge_method', 'S256');
  if (p.loginHint !== undefined) q.set('login_hint', p.loginHint);
  if (p.prompt !== undefined) q.set('prompt', p.prompt);
  for (const [k, v] of Object.entries(p.extra ?? {})) q.set(k, v);
  return url.href;
}

function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Reads the redirect's query (RFC 6749 §4.1.2, §4.1.2.1). The state is checked first, even on
 * errors: an answer that does not carry our state is not an answer to us (§10.12). Pure.
 */
export function readAuthorizationResponse(q: URLSearchParams, expectedState: string): string {
  const state = q.get('state');
  if (state === null || !sameState(state, expectedState)) {
    throw new OAuthError(
      'EAS_ERR_OAUTH_STATE_MISMATCH',
      'the sign-in redirect carried a foreign state; ignored',
    );
  }
  const error = q.get('error');
  if (error !== null) {
    const desc = (q.get('error_description') ?? '').split(/\r?\n/)[0]!.slice(0, 300);
    const text = `authorization endpoint: ${error}${desc ? ` (${desc})` : ''}`;
    throw new OAuthError(
      error === 'access_denied' ? 'EAS_ERR_OAUTH_ACCESS_DENIED' : 'EAS_ERR_OAUTH_AUTHORIZE',
      text,
      { oauthError: error },
    );
  }
  const code = q.get('code');
  if (code === null || code === '') {
    throw new OAuthError('EAS_ERR_OAUTH_BAD_RESPONSE', 'the sign-in redirect carried no code');
  }
  return code;
}
