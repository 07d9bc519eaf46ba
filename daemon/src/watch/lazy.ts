import { systemClock } from '../clock';
import type { Watcher, WatcherContext, WatcherStatus } from './types';

/** What the loaded watcher may offer beyond start/status/wake/stop, and the error until it is loaded. */
export interface LazyVerbs {
  /** Forward `acceptMove` (a move to another origin waits for the user, issue 13 §2). */
  acceptMove?: boolean;
  /** Forward `markRead`; before the code is loaded it rejects with this error. */
  notReady?: () => Error;
}

/**
 * A watcher whose code is imported when it starts, so a daemon without accounts of that kind never
 * loads it (the bundle puts each kind in a chunk of its own; `load` holds the literal `import()`).
 * Until then it reports what a stopped watcher does; a wake before that is moot.
 */
export function lazyWatcher(
  ctx: WatcherContext,
  kind: string,
  load: () => Promise<Watcher>,
  verbs: LazyVerbs = {},
): Watcher {
  const idle: WatcherStatus = { state: 'stopped', since: new Date(systemClock.now()).toISOString() };
  let watcher: Watcher | undefined;
  let loading: Promise<void> | undefined;
  let stopped = false;
  const lazy: Watcher = {
    accountId: ctx.accountId,
    start() {
      stopped = false;
      if (watcher) return watcher.start();
      loading ??= load().then(
        (w) => {
          watcher = w;
          if (!stopped) w.start();
        },
        (err: unknown) => ctx.log.error({ err }, `could not load the ${kind} watcher`),
      );
    },
    status: () => watcher?.status() ?? idle,
    wake: (reason) => watcher?.wake?.(reason),
    // Before the code is loaded the first check is on its way anyway.
    check: () => watcher?.check?.() ?? Promise.resolve(),
    async stop() {
      stopped = true;
      await loading;
      await watcher?.stop();
    },
  };
  if (verbs.acceptMove) lazy.acceptMove = () => watcher?.acceptMove?.();
  const notReady = verbs.notReady;
  if (notReady)
    lazy.markRead = (folderId, itemIds) =>
      watcher?.markRead ? watcher.markRead(folderId, itemIds) : Promise.reject(notReady());
  return lazy;
}
