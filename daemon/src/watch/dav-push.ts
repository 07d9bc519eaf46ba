import type { Logger } from 'pino';
import type { DavCollection } from '../dav/collection';
import { DavError } from '../dav/errors';
import { type PushInbox, parsePushMessage, registerPush } from '../dav/push';
import type { Send } from '../dav/request';
import { type IntervalPolicy, pushSafetyDelay } from '../dav/schedule';
import type { StateStore } from '../store/types';

/** Registration lifetime we ask for; the server may shorten it (draft §"Expiration"). */
const LIFETIME_MS = 3 * 24 * 3600_000;
/** Renew when less than this is left, so a missed check never lets a subscription lapse. */
const RENEW_BEFORE_MS = LIFETIME_MS / 3;
const KEY_PUSH = 'dav:push';

interface Subscription {
  topic: string;
  registration: string;
  expiresAt: number;
}

/**
 * The push strategy of the DAV watcher: where every watched collection offers WebDAV-Push and a
 * PushInbox is configured, the watcher is woken by push messages and polls only at the interval
 * maximum as a safety net. Anything short of that (no topic, a refused registration) leaves the
 * watcher polling: push and poll are two schedules behind the same check.
 */
export interface PushStrategy {
  /** Every watched collection has a live subscription. */
  active(): boolean;
  /** Whether the first check (the one asking for push properties) has run. */
  registeredOnce(): boolean;
  safetyDelay(policy: IntervalPolicy): number;
  /** Registers new collections and renews expiring subscriptions after a check. */
  sync(send: Send, watched: { collection: DavCollection; url: URL }[]): Promise<void>;
  close(): void;
}

export interface PushStrategyOptions {
  inbox: PushInbox;
  accountId: string;
  store: StateStore;
  log: Logger;
  now(): number;
  /** Called when a message names one of our topics. */
  onTopic(href: string): void;
}

export function createPushStrategy(opts: PushStrategyOptions): PushStrategy {
  const subs = new Map(
    Object.entries(opts.store.get<Record<string, Subscription>>(opts.accountId, KEY_PUSH) ?? {}),
  );
  let watchedHrefs: string[] = [];
  let firstDone = false;
  const unsubscribe = opts.inbox.subscribe((body) => {
    const topic = parsePushMessage(body);
    if (topic === undefined) return;
    for (const [href, s] of subs) if (s.topic === topic) opts.onTopic(href);
  });

  return {
    active: () =>
      watchedHrefs.length > 0 && watchedHrefs.every((h) => (subs.get(h)?.expiresAt ?? 0) > opts.now()),
    registeredOnce: () => firstDone,
    safetyDelay: pushSafetyDelay,
    async sync(send, watched) {
      watchedHrefs = watched.map((w) => w.collection.href);
      let dirty = false;
      for (const href of [...subs.keys()]) {
        if (!watchedHrefs.includes(href)) {
          subs.delete(href);
          dirty = true;
        }
      }
      for (const { collection, url } of watched) {
        const known = subs.get(collection.href);
        const topic = collection.pushTopic ?? known?.topic;
        if (topic === undefined) continue;
        if (known && known.expiresAt - opts.now() > RENEW_BEFORE_MS) continue;
        try {
          const reg = await registerPush(send, url, opts.inbox.endpoint, new Date(opts.now() + LIFETIME_MS));
          subs.set(collection.href, { topic, registration: reg.url, expiresAt: reg.expiresAt });
          dirty = true;
        } catch (err) {
          if (err instanceof DavError && err.code === 'DAV_ERR_UNAUTHORIZED') throw err;
          opts.log.warn(
            { accountId: opts.accountId, href: collection.href, code: (err as DavError).code },
            'push registration failed; polling',
          );
        }
      }
      firstDone = true;
      if (dirty) opts.store.commit(opts.accountId, { set: { [KEY_PUSH]: Object.fromEntries(subs) } });
    },
    close: unsubscribe,
  };
}
