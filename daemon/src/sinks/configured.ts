import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { SecretRef } from '../config/account';
import type { SinksConfig } from '../config/rules';
import type { Sink } from '../hub/types';
import type { SecretSource } from '../secrets/types';
import { createDesktopSink, type Notifier } from './desktop';
import type { FormatOptions } from './format';

/** What the daemon supplies to build the sinks of `notifications.sinks`. */
export interface ConfiguredSinkDeps {
  log: Logger;
  /** True while a tray client is subscribed (the desktop sink then stays silent). */
  isTraySubscribed: () => boolean;
  /**
   * The SecretSource for a webhook's `secret` reference; `owner` is `webhook:<name>`, the
   * keyring account its key lives under.
   */
  secretFor: (owner: string, ref: SecretRef) => SecretSource;
  /** HTTP client for webhooks (proxies, extra CAs). */
  dispatcher?: Dispatcher;
  /** A notifier for tests, or false to leave the desktop sink out (headless, tests). */
  notifier?: Notifier | false;
  format?: FormatOptions;
  /** For the desktop-session check; process.platform / process.env by default. */
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** The one line a headless machine gets instead of a failing notify-send per change. */
export const NO_DESKTOP_SESSION =
  'no desktop session: desktop notifications off; use the tray, hooks or webhooks';

/**
 * Whether a desktop notification can be shown. macOS and Windows always have a session; on
 * Linux and the BSDs notify-send needs a display or at least a session bus, so with none of
 * DISPLAY, WAYLAND_DISPLAY and DBUS_SESSION_BUS_ADDRESS (an SSH login, a server) there is none.
 */
export function hasDesktopSession(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY || env.DBUS_SESSION_BUS_ADDRESS);
}

/**
 * Builds every sink the config names, in a stable order: desktop (when enabled), then exec
 * hooks, then webhooks. The daemon adds them to the hub and closes them on reload/shutdown.
 * exec-hook.ts (with its spool) and webhook.ts are imported only when the config names one: a
 * daemon without hooks does not hold their ~14 KB of code (issue 5: 3 accounts idle under 60 MB;
 * daemon/test/cli/lazy-commands.test.ts guards it). Literal specifiers, so esbuild bundles them.
 */
export async function createConfiguredSinks(config: SinksConfig, deps: ConfiguredSinkDeps): Promise<Sink[]> {
  const [execHook, webhook] = await Promise.all([
    config.exec.length > 0 ? import('./exec-hook') : undefined,
    config.webhooks.length > 0 ? import('./webhook') : undefined,
  ]);
  const sinks: Sink[] = [];
  const headless =
    deps.notifier === undefined &&
    !hasDesktopSession(deps.platform ?? process.platform, deps.env ?? process.env);
  if (config.desktop.enabled && deps.notifier !== false && headless) deps.log.info(NO_DESKTOP_SESSION);
  else if (config.desktop.enabled && deps.notifier !== false) {
    sinks.push(
      createDesktopSink({
        config: config.desktop,
        log: deps.log.child({ sink: 'desktop' }),
        isSuppressed: deps.isTraySubscribed,
        ...(deps.notifier ? { notifier: deps.notifier } : {}),
        ...(deps.format ? { format: deps.format } : {}),
      }),
    );
  }
  for (const hook of config.exec) {
    sinks.push(
      execHook!.createExecHook({
        config: hook,
        log: deps.log.child({ sink: hook.name }),
        ...(deps.format ? { format: deps.format } : {}),
      }),
    );
  }
  for (const hook of config.webhooks) {
    sinks.push(
      webhook!.createWebhook({
        config: hook,
        log: deps.log.child({ sink: hook.name }),
        ...(hook.secret ? { secret: deps.secretFor(`webhook:${hook.name}`, hook.secret) } : {}),
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
      }),
    );
  }
  return sinks;
}
