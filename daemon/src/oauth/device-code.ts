import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { OAuthError } from './errors';
import { type OAuthProviderId, type OAuthUse, oauthClientOf } from './providers';
import {
  type FormResponse,
  oauthErrorOf,
  parseTokenResponse,
  postForm,
  type TokenSet,
} from './token-endpoint';

/** What the person must do, from the device authorization response (RFC 8628 §3.2). */
export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds the code stays valid. */
  expiresIn: number;
  /** The server's own instructions (Entra sends a localised sentence). */
  message?: string;
}

/** The parsed device authorization response. */
export interface DeviceAuthorization extends DeviceCodePrompt {
  deviceCode: string;
  /** Seconds between polls (RFC 8628 §3.2: 5 when absent). */
  interval: number;
}

export interface DeviceCodeOptions {
  /** Default `microsoft`; `google` is refused (its device flow cannot grant the mail scope). */
  provider?: OAuthProviderId;
  authority?: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
  /** Which default scope applies (default `eas`). */
  use?: OAuthUse;
  dispatcher?: Dispatcher;
  /** Shows the user code and URL to the person (a CLI prints it). */
  onPrompt: (prompt: DeviceCodePrompt) => void;
  signal?: AbortSignal;
  /** Waits between polls; injectable so tests need no timers. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  clock?: () => number;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Parses the `/devicecode` answer (RFC 8628 §3.2). Pure. */
export function parseDeviceAuthorization(res: FormResponse): DeviceAuthorization {
  if (res.status !== 200) throw oauthErrorOf(res, 'device authorization endpoint');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(res.body) as Record<string, unknown>;
  } catch (err) {
    throw new OAuthError('EAS_ERR_OAUTH_BAD_RESPONSE', 'device authorization endpoint: answer is not JSON', {
      cause: err,
    });
  }
  // Entra's v1 endpoint spelt it verification_url; accept both.
  const verificationUri = o.verification_uri ?? o.verification_url;
  const expiresIn = num(o.expires_in);
  if (
    typeof o.device_code !== 'string' ||
    typeof o.user_code !== 'string' ||
    typeof verificationUri !== 'string' ||
    expiresIn === undefined
  ) {
    throw new OAuthError(
      'EAS_ERR_OAUTH_BAD_RESPONSE',
      'device authorization endpoint: a required field is missing',
    );
  }
  return {
    deviceCode: o.device_code,
    userCode: o.user_code,
    verificationUri,
    expiresIn,
    interval: num(o.interval) ?? 5,
    ...(typeof o.verification_uri_complete === 'string'
      ? { verificationUriComplete: o.verification_uri_complete }
      : {}),
    ...(typeof o.message === 'string' ? { message: o.message } : {}),
  };
}

/** The next wait after a poll was refused, or the error that ends the flow (RFC 8628 §3.5). Pure. */
export function nextPollInterval(intervalMs: number, err: OAuthError): number {
  if (err.oauthError === 'authorization_pending') return intervalMs;
  // "the interval MUST be increased by 5 seconds for this and all subsequent requests"
  if (err.oauthError === 'slow_down') return intervalMs + 5_000;
  throw err;
}

/**
 * Signs in with the device authorization grant (RFC 8628) for machines without a browser:
 * asks for a code, shows it through `onPrompt`, then polls the token endpoint at the server's
 * interval until the person approves, declines or the code expires.
 */
export async function signInWithDeviceCode(opts: DeviceCodeOptions): Promise<TokenSet> {
  const client = oauthClientOf(opts, opts.use);
  if (client.devicecode === undefined) {
    // Google's device flow grants only a short allow-list of scopes, and https://mail.google.com/
    // is not on it ("OAuth 2.0 for TV and Limited-Input Device Applications", allowed scopes).
    throw new OAuthError(
      'EAS_ERR_OAUTH_UNSUPPORTED_FLOW',
      `${client.label} does not allow mail access through the device code; sign in with the browser ` +
        '(on a headless machine: forward the printed loopback port with ssh -L)',
    );
  }
  const endpoints = { devicecode: client.devicecode, token: client.token };
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const post = {
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const auth = parseDeviceAuthorization(
    await postForm(endpoints.devicecode, { client_id: client.clientId, scope: client.scope }, post),
  );
  const deadline = clock() + auth.expiresIn * 1000;
  const { deviceCode, interval: _interval, ...prompt } = auth;
  opts.onPrompt(prompt);
  let intervalMs = auth.interval * 1000;
  for (;;) {
    try {
      await sleep(intervalMs, opts.signal);
    } catch (err) {
      throw new OAuthError('EAS_ERR_OAUTH_ABORTED', 'sign-in was cancelled', { cause: err });
    }
    if (clock() >= deadline) {
      throw new OAuthError('EAS_ERR_OAUTH_EXPIRED_TOKEN', 'the device code expired before sign-in finished', {
        oauthError: 'expired_token',
      });
    }
    const sentAt = clock();
    const res = await postForm(
      endpoints.token,
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: client.clientId,
        device_code: deviceCode,
      },
      post,
    );
    try {
      return parseTokenResponse(res, sentAt);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      intervalMs = nextPollInterval(intervalMs, err);
    }
  }
}
