import { Agent } from 'undici';
import type { JmapAccount } from '../../src/config/account';
import { createJmapWatcher, type JmapWatcher, type JmapWatcherDeps } from '../../src/watch/jmap-watcher';
import { FakeClock, testContext } from '../dav/support';

export { FakeClock, testContext };

export function jmapAccount(url: string, extra: Partial<JmapAccount> = {}): JmapAccount {
  return {
    id: 'acct',
    kind: 'jmap',
    enabled: true,
    url,
    username: 'alice',
    auth: { type: 'basic' },
    secret: { env: 'UNUSED' },
    push: 'auto',
    ping: 30,
    interval: 60,
    ...extra,
  };
}

/** Polls `check` until it holds (events arrive over real sockets); fails after `ms`. */
export async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A watcher over a fixture with a manual clock and its own undici Agent (closed by `close`). */
export function harness(
  url: string,
  extra: Partial<JmapAccount> = {},
  opts: { ctx?: ReturnType<typeof testContext>; deps?: Partial<JmapWatcherDeps> } = {},
) {
  const clock = new FakeClock();
  const t = opts.ctx ?? testContext('acct');
  const dispatcher = new Agent({ connections: 8 });
  const watcher: JmapWatcher = createJmapWatcher(jmapAccount(url, extra), t.ctx, {
    dispatcher,
    clock,
    random: () => 0,
    pushGraceMs: 1_000,
    ...opts.deps,
  });
  return {
    clock,
    t,
    watcher,
    async close() {
      await watcher.stop();
      // STYLE.md, daemon/watch: stop leaves no timer armed (sync, push reconnect, stall, keep-alive).
      if (clock.timers.size > 0) throw new Error(`${clock.timers.size} timer(s) left armed after stop()`);
      if (!dispatcher.destroyed && !dispatcher.closed) await dispatcher.close();
    },
  };
}
