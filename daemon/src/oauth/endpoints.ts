import { OAuthError } from './errors';

/** The EAS scope Exchange Online grants to ActiveSync clients, plus a refresh token. */
export const DEFAULT_SCOPE = 'https://outlook.office.com/EAS.AccessAsUser.All offline_access';

/** Microsoft identity platform v2 authority for a tenant (`common`, `organizations`, a GUID or a domain). */
export function authorityFor(tenant = 'common'): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0`;
}

export interface OAuthEndpoints {
  authorize: string;
  token: string;
  devicecode: string;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The v2 endpoints under an authority. Tokens travel only over TLS (RFC 6749 §3.1, §3.2);
 * plain http is accepted for loopback hosts alone, where the local test server lives.
 */
export function endpointsOf(authority: string): OAuthEndpoints {
  let url: URL;
  try {
    url = new URL(authority);
  } catch (err) {
    throw new OAuthError('EAS_ERR_OAUTH_INSECURE_ENDPOINT', `authority "${authority}" is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new OAuthError(
      'EAS_ERR_OAUTH_INSECURE_ENDPOINT',
      `authority "${url.origin}" must use https (plain http only for 127.0.0.1)`,
    );
  }
  const base = url.href.replace(/\/+$/, '');
  return { authorize: `${base}/authorize`, token: `${base}/token`, devicecode: `${base}/devicecode` };
}
