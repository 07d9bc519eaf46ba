import type { PushEnd } from './channel';

/**
 * What to do about push, as pure functions of what the session offers and how channels ended —
 * so the rules are tested as a table, without sockets or timers (STYLE.md: pure core, thin shell).
 */
export type PushKind = 'websocket' | 'eventsource';

/** What the watcher remembers of earlier channels. */
export interface PushHistory {
  /** Channels in a row that ended within QUIET_END_MS without an event or an error. */
  quietEnds: number;
  /** WebSocket channels in a row that failed before they opened. */
  webSocketFailures: number;
}

export const NO_HISTORY: PushHistory = { quietEnds: 0, webSocketFailures: 0 };
/** A channel that ends this soon without a single event counts as "does not push". */
export const QUIET_END_MS = 5_000;
/** Quiet ends (or WebSocket failures) in a row before the watcher stops trying that way. */
export const GIVE_UP_AFTER = 3;

/** What the session offers (jmap/session.ts). */
export interface PushOffer {
  eventSourceUrl?: string;
  webSocketUrl?: string;
  webSocketPush: boolean;
}

/**
 * The channel to open: WebSocket (RFC 8887) where offered with push and wanted, unless it failed
 * GIVE_UP_AFTER times before opening and EventSource is there instead (a proxy without upgrades);
 * else EventSource (RFC 8620 §7.3); undefined when the server offers neither.
 */
export function choosePush(
  offer: PushOffer,
  preference: 'auto' | 'websocket' | 'eventsource',
  h: PushHistory,
): PushKind | undefined {
  const es = preference !== 'websocket' && offer.eventSourceUrl !== undefined;
  const wsBroken = h.webSocketFailures >= GIVE_UP_AFTER && es;
  const ws =
    preference !== 'eventsource' && offer.webSocketUrl !== undefined && offer.webSocketPush && !wsBroken;
  return ws ? 'websocket' : es ? 'eventsource' : undefined;
}

export type PushDecision = { next: 'poll'; why: string } | { next: 'reconnect' };

/**
 * After a channel ended: give push up for Email/changes on an interval (a 204 — HTML's
 * EventSource "do not reconnect", Debian's Cyrus — or GIVE_UP_AFTER quiet ends in a row), or
 * reconnect with back-off. `opened`: the channel reached its open state (headers, handshake).
 */
export function afterPushEnd(
  end: PushEnd,
  kind: PushKind,
  opened: boolean,
  h: PushHistory,
): { decision: PushDecision; history: PushHistory } {
  const name = kind === 'websocket' ? 'WebSocket' : 'EventSource';
  const webSocketFailures =
    kind === 'websocket'
      ? opened
        ? 0
        : end.error !== undefined
          ? h.webSocketFailures + 1
          : h.webSocketFailures
      : h.webSocketFailures;
  if (end.noContent)
    return {
      decision: { next: 'poll', why: `the ${name} endpoint answers 204 No Content (no push)` },
      history: { ...h, webSocketFailures },
    };
  const quiet = end.events === 0 && end.openMs < QUIET_END_MS && end.error === undefined;
  const quietEnds = quiet ? h.quietEnds + 1 : 0;
  if (quietEnds >= GIVE_UP_AFTER)
    return {
      decision: {
        next: 'poll',
        why: `the ${name} endpoint closes at once without pushing (${quietEnds} times)`,
      },
      history: { quietEnds, webSocketFailures },
    };
  return { decision: { next: 'reconnect' }, history: { quietEnds, webSocketFailures } };
}
