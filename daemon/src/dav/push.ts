import { DavError, safeUrl } from './errors';
import type { Send } from './request';
import { escapeXml, parseXml, text } from './xml';

/**
 * WebDAV-Push (bitfireAT/webdav-push draft, as DAVx5 and the Nextcloud app implement it): the
 * server POSTs to a Web Push resource (RFC 8030) when a subscribed collection changes. The daemon
 * cannot be a push service itself; it needs one that forwards to it (a UnifiedPush distributor
 * or ntfy topic it listens to). That receiver is a PushInbox.
 */
export interface PushInbox {
  /** The push resource URL the server is told to POST to. */
  readonly endpoint: string;
  /** Calls `listener` with each push message body; returns the unsubscribe function. */
  subscribe(listener: (body: string) => void): () => void;
}

/** The two namespaces of the draft's history: current, then the `DAV:Push` of the first drafts. */
const NAMESPACES = ['https://bitfire.at/webdav-push', 'DAV:Push'] as const;

/** Draft §"Subscription registration" request body. */
export function pushRegisterBody(ns: string, pushResource: string, expires: Date): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<push-register xmlns="${ns}"><subscription><web-push-subscription>` +
    `<push-resource>${escapeXml(pushResource)}</push-resource>` +
    `</web-push-subscription></subscription><expires>${expires.toUTCString()}</expires></push-register>`
  );
}

export interface PushRegistration {
  /** Registration URL from the Location header; DELETE it to unsubscribe. */
  url: string;
  /** ms since epoch when the registration must be renewed by. */
  expiresAt: number;
}

/**
 * Registers (or renews) a subscription on a collection. 201 with Location is success; the
 * current namespace is tried first and the old one when the server refuses it.
 */
export async function registerPush(
  send: Send,
  collection: URL,
  pushResource: string,
  expires: Date,
): Promise<PushRegistration> {
  let last: unknown;
  for (const ns of NAMESPACES) {
    try {
      const res = await send({
        method: 'POST',
        url: collection,
        headers: { 'content-type': 'application/xml; charset=utf-8' },
        body: pushRegisterBody(ns, pushResource, expires),
      });
      const location = res.headers.location;
      if ((res.status === 201 || res.status === 200) && location) {
        // The server may impose a shorter lifetime via Expires (draft §"Expiration").
        const told = Date.parse(res.headers.expires ?? '');
        return {
          url: new URL(location, res.url).href,
          expiresAt: Number.isNaN(told) ? expires.getTime() : told,
        };
      }
      last = new DavError('DAV_ERR_PUSH', `push-register answered ${res.status} without Location`, {
        method: 'POST',
        url: safeUrl(collection),
        status: res.status,
      });
    } catch (err) {
      if (err instanceof DavError && (err.code === 'DAV_ERR_UNAUTHORIZED' || err.transient)) throw err;
      last = err;
    }
  }
  throw last instanceof DavError && last.code === 'DAV_ERR_PUSH'
    ? last
    : new DavError(
        'DAV_ERR_PUSH',
        'The server refused the WebDAV-Push subscription',
        { url: safeUrl(collection) },
        { cause: last },
      );
}

/** Removes a registration (draft §"Subscription removal"). */
export async function unregisterPush(send: Send, registration: string): Promise<void> {
  await send({ method: 'DELETE', url: new URL(registration) });
}

/** The topic of a push message (`<push-message><topic>…`), or undefined for anything else. */
export function parsePushMessage(body: string): string | undefined {
  try {
    const doc = parseXml(body);
    const msg = doc['push-message'];
    return typeof msg === 'object' && msg !== null ? text((msg as Record<string, unknown>).topic) : undefined;
  } catch {
    return undefined;
  }
}
