import { DEFAULT_SCOPE, authorityFor, endpointsOf } from './endpoints';
import { OAuthError } from './errors';

/** The identity providers Tidings signs in with. */
export type OAuthProviderId = 'microsoft' | 'google';

/** What a sign-in or a refresh is for: the default scope differs (EAS or IMAP). */
export type OAuthUse = 'eas' | 'imap';

/** An account's OAuth settings as the config holds them (config/account.ts). */
export interface OAuthClientSettings {
  /** Default `microsoft`: every config written before Google existed meant Entra ID. */
  provider?: OAuthProviderId | undefined;
  clientId: string;
  /** Google's desktop clients have one (not confidential, but required at /token). */
  clientSecret?: string | undefined;
  /** Entra tenant (Microsoft only; default `common`). */
  tenant?: string | undefined;
  /**
   * Override of the provider's endpoints (tests, sovereign clouds). Microsoft: the v2 authority,
   * `<authority>/authorize` and `<authority>/token`. Google: a base serving `/o/oauth2/v2/auth`
   * and `/token`, as accounts.google.com and oauth2.googleapis.com do.
   */
  authority?: string | undefined;
  scope?: string | undefined;
}

/** An OAuth client with everything the flows need, the provider's quirks made explicit. */
export interface OAuthClient {
  provider: OAuthProviderId;
  /** For people: "Microsoft", "Google". */
  label: string;
  clientId: string;
  clientSecret?: string;
  authorize: string;
  token: string;
  /** Absent where the provider's device flow cannot grant the scope (Google's mail scope). */
  devicecode?: string;
  scope: string;
  /** Extra authorization-request parameters (Google: `access_type=offline`, `prompt=consent`). */
  authorizeParams: Record<string, string>;
  /** Entra v2 wants the scope again at /token; Google takes it at /authorize only. */
  scopeAtToken: boolean;
  /** Entra documents `response_mode=query`; Google has no such parameter. */
  responseModeQuery: boolean;
}

/** Google's endpoints for installed apps ("OAuth 2.0 for iOS & Desktop Apps"). */
export const GOOGLE_AUTHORIZE = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token';
/** The one scope Gmail grants IMAP, POP and SMTP (Gmail's XOAUTH2 protocol page). */
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';
/** Exchange Online's IMAP scope plus a refresh token. */
export const MICROSOFT_IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access';

/** Gmail's IMAP hosts (Google Workspace uses the same ones). */
const GOOGLE_HOSTS = /(^|\.)(gmail|googlemail)\.com$/i;

/** The provider an IMAP host implies: Gmail's hosts → google, anything else → microsoft. Pure. */
export function providerForHost(host: string): OAuthProviderId {
  return GOOGLE_HOSTS.test(host.trim().replace(/\.$/, '')) ? 'google' : 'microsoft';
}

/**
 * Resolves an account's settings to a client. Endpoints pass through `endpointsOf`'s rule:
 * https only, plain http for loopback test servers. Pure.
 */
export function oauthClientOf(s: OAuthClientSettings, use: OAuthUse = 'eas'): OAuthClient {
  if (s.clientId === '') throw new TypeError('oauthClientOf: clientId must not be empty');
  const secret =
    s.clientSecret === undefined || s.clientSecret === '' ? {} : { clientSecret: s.clientSecret };
  if ((s.provider ?? 'microsoft') === 'google') {
    if (!('clientSecret' in secret)) {
      throw new OAuthError(
        'EAS_ERR_OAUTH_CLIENT_SECRET',
        'Google needs the desktop client\u2019s client secret (oauth2.clientSecret, or TIDINGS_GOOGLE_CLIENT_SECRET)',
      );
    }
    let authorize = GOOGLE_AUTHORIZE;
    let token = GOOGLE_TOKEN;
    if (s.authority !== undefined) {
      // The same https-or-loopback rule as Entra authorities; the paths mirror Google's hosts.
      const base = endpointsOf(s.authority).authorize.replace(/\/authorize$/, '');
      authorize = `${base}/o/oauth2/v2/auth`;
      token = `${base}/token`;
    }
    return {
      provider: 'google',
      label: 'Google',
      clientId: s.clientId,
      ...secret,
      authorize,
      token,
      scope: s.scope ?? GOOGLE_MAIL_SCOPE,
      // A refresh token comes only with access_type=offline, and Google sends it again only when
      // the consent screen is shown: prompt=consent makes a second sign-in yield one too.
      authorizeParams: { access_type: 'offline', prompt: 'consent' },
      scopeAtToken: false,
      responseModeQuery: false,
    };
  }
  const endpoints = endpointsOf(s.authority ?? authorityFor(s.tenant));
  return {
    provider: 'microsoft',
    label: 'Microsoft',
    clientId: s.clientId,
    ...secret,
    ...endpoints,
    scope: s.scope ?? (use === 'imap' ? MICROSOFT_IMAP_SCOPE : DEFAULT_SCOPE),
    authorizeParams: {},
    scopeAtToken: true,
    responseModeQuery: true,
  };
}

/** The client credentials every /token request carries (RFC 6749 §2.3.1 in the body). */
export function clientCredentials(c: OAuthClient): Record<string, string> {
  return {
    client_id: c.clientId,
    ...(c.clientSecret === undefined ? {} : { client_secret: c.clientSecret }),
  };
}
