import type { Dispatcher } from 'undici';
import type { JmapAccount } from '../config/account';
import type { TokenProvider } from '../oauth/token-provider';
import type { SecretSource } from '../secrets/types';
import { request } from './api';
import { basicAuth, bearerAuth, oauthAuth } from './auth';
import { JmapError } from './errors';
import { mailboxGet } from './mailbox-get';
import { selectMailboxes } from './mailboxes';
import { eventSourceUrl } from './push/eventsource';
import { fetchSession } from './session';
import { createTransport } from './transport';

/** One named check, as `tidings account test` and `doctor` show it. */
export interface JmapCheckStep {
  name: string;
  ok: boolean;
  warn?: boolean;
  note: string;
  fix?: string;
}

function fixFor(e: unknown): string {
  const code = e instanceof JmapError ? e.code : '';
  if (code === 'JMAP_ERR_UNAUTHORIZED' || code === 'JMAP_ERR_SECRET')
    return 'check the user name and the password or token (tidings account set-secret)';
  if (code === 'JMAP_ERR_REDIRECT') return "set the account's url to the server the message names";
  if (code === 'JMAP_ERR_SESSION') return "check url: the server's https:// address, or its JMAP session URL";
  if (code === 'JMAP_ERR_NETWORK' || code === 'JMAP_ERR_TIMEOUT')
    return 'check the host name, port and network';
  return 'see docs/jmap.md';
}

/**
 * The account test of a JMAP account: the session as the watcher reads it, the watched
 * mailboxes, and whether the push endpoint pushes (an EventSource that answers 204 at once, as
 * Debian's Cyrus does, is a warning: the account then checks on an interval).
 */
export async function checkJmap(
  account: JmapAccount,
  secret: SecretSource,
  o: { dispatcher: Dispatcher; timeoutMs: number; tokens?: TokenProvider },
): Promise<JmapCheckStep[]> {
  const steps: JmapCheckStep[] = [];
  const auth =
    account.auth.type === 'oauth2' && o.tokens
      ? oauthAuth(o.tokens)
      : account.auth.type === 'bearer'
        ? bearerAuth(secret)
        : basicAuth(account.username, secret);
  const http = createTransport({ dispatcher: o.dispatcher, auth, limits: { deadlineMs: o.timeoutMs } });
  let session: Awaited<ReturnType<typeof fetchSession>>;
  try {
    session = await fetchSession(http, account.url);
  } catch (err) {
    steps.push({
      name: 'session',
      ok: false,
      note: err instanceof Error ? err.message : String(err),
      fix: fixFor(err),
    });
    return steps;
  }
  steps.push({
    name: 'session',
    ok: true,
    note: `JMAP session at ${session.sessionUrl}, mail account ${session.accountId}`,
  });
  try {
    const { results } = await request(http, session, [mailboxGet(session.accountId)]);
    const watched = selectMailboxes(results[0].list, account.mailboxes);
    steps.push(
      watched.length > 0
        ? { name: 'mailboxes', ok: true, note: `watching ${watched.map((m) => m.name).join(', ')}` }
        : {
            name: 'mailboxes',
            ok: false,
            note: `none of ${(account.mailboxes ?? ['inbox']).join(', ')} exists`,
            fix: `choose from: ${results[0].list.map((m) => m.name).join(', ')}`,
          },
    );
  } catch (err) {
    steps.push({
      name: 'mailboxes',
      ok: false,
      note: err instanceof Error ? err.message : String(err),
      fix: fixFor(err),
    });
    return steps;
  }
  if (account.push === 'off') {
    steps.push({
      name: 'push',
      ok: true,
      note: `push off in the config; Email/changes every ${account.interval} s`,
    });
    return steps;
  }
  if (session.webSocketUrl && session.webSocketPush && account.push !== 'eventsource') {
    steps.push({ name: 'push', ok: true, note: `WebSocket push (RFC 8887) at ${session.webSocketUrl}` });
    return steps;
  }
  if (!session.eventSourceUrl) {
    steps.push({
      name: 'push',
      ok: true,
      warn: true,
      note: `the server offers no push; Email/changes every ${account.interval} s`,
    });
    return steps;
  }
  const url = eventSourceUrl(session.eventSourceUrl, account.ping);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeoutMs).unref();
  try {
    const res = await o.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'GET',
      headers: { accept: 'text/event-stream', authorization: await http.authorization() },
      headersTimeout: o.timeoutMs,
      signal: controller.signal,
    });
    res.body.destroy();
    steps.push(
      res.statusCode === 204
        ? {
            name: 'push',
            ok: true,
            warn: true,
            note: `the EventSource endpoint answers 204 No Content (no push); the daemon checks with Email/changes every ${account.interval} s`,
          }
        : res.statusCode >= 200 && res.statusCode < 300
          ? { name: 'push', ok: true, note: `EventSource push open (HTTP ${res.statusCode})` }
          : {
              name: 'push',
              ok: true,
              warn: true,
              note: `the EventSource endpoint answers HTTP ${res.statusCode}; the daemon retries it with back-off and checks on an interval meanwhile`,
            },
    );
  } catch (err) {
    steps.push({
      name: 'push',
      ok: true,
      warn: true,
      note: `the EventSource endpoint did not answer: ${err instanceof Error ? err.message : String(err)}`,
    });
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return steps;
}
