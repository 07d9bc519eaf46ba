import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';

/**
 * The daemon's arguments when the tray starts it: with no config file it runs with no accounts —
 * never the demo, whose notifications went on after the tray quit (issue 16) — and the tray
 * opens "Add an account".
 */
export const DAEMON_ARGS = ['daemon', '--empty'] as const;

/**
 * Where the packaged tray keeps the daemon bundle: extraResources `daemon/` (electron-builder.yml),
 * staged by scripts/stage-daemon.ts with its native modules beside it.
 */
export const BUNDLED_DAEMON = join('daemon', 'dist', 'tidings.mjs');

/** What the choice looks at; main.ts passes the process's, tests their own. */
export interface LaunchContext {
  env: NodeJS.ProcessEnv;
  /** process.execPath: the Electron binary, which is Node with ELECTRON_RUN_AS_NODE=1. */
  execPath: string;
  /** process.resourcesPath of a packaged app; undefined when run from a checkout. */
  resourcesPath: string | undefined;
  platform: NodeJS.Platform;
  /** A file that exists and may be run. */
  isFile(path: string): boolean;
}

/** How to start the daemon, or why it cannot be started. */
export type DaemonLaunch =
  | {
      ok: true;
      /** `custom`: TIDINGS_DAEMON_COMMAND; `bundled`: inside the tray package; `path`: installed. */
      source: 'custom' | 'bundled' | 'path';
      command: [string, ...string[]];
      env: NodeJS.ProcessEnv;
    }
  | { ok: false; reason: string };

/** Shown in the tray's menu and settings when there is no daemon to start. */
export const NO_DAEMON =
  'The Tidings daemon is not installed: this tray has none bundled, and there is no `tidings` on PATH. ' +
  'Install it (npm install -g tidings) or use a tray package that includes it.';

/**
 * Pure: which daemon the tray starts, in order —
 * 1. `TIDINGS_DAEMON_COMMAND` (whitespace-separated; a development checkout:
 *    "npx tsx daemon/src/cli/main.ts daemon"), as given;
 * 2. the daemon shipped inside the tray package, run by Electron's own Node
 *    (`ELECTRON_RUN_AS_NODE=1` + the Electron binary), so nothing else needs installing;
 * 3. `tidings` found on PATH (an npm or distribution install);
 * else a reason to show, instead of retrying "The daemon is not running" for ever.
 */
export function chooseDaemon(ctx: LaunchContext): DaemonLaunch {
  const custom = ctx.env.TIDINGS_DAEMON_COMMAND?.trim();
  if (custom) {
    const [cmd, ...args] = custom.split(/\s+/);
    if (cmd) return { ok: true, source: 'custom', command: [cmd, ...args], env: ctx.env };
  }
  if (ctx.resourcesPath !== undefined) {
    const bundled = join(ctx.resourcesPath, BUNDLED_DAEMON);
    if (ctx.isFile(bundled))
      return {
        ok: true,
        source: 'bundled',
        command: [ctx.execPath, bundled, ...DAEMON_ARGS],
        // Meant for this one Electron binary: the daemon drops it from its own environment at
        // start (cli/main.ts), so hooks and password commands that run Electron apps run them as apps.
        env: { ...ctx.env, ELECTRON_RUN_AS_NODE: '1' },
      };
  }
  const installed = onPath('tidings', ctx);
  if (installed) return { ok: true, source: 'path', command: [installed, ...DAEMON_ARGS], env: ctx.env };
  return { ok: false, reason: NO_DAEMON };
}

/** The first `name` on PATH (with PATHEXT's .cmd/.exe on Windows), as a shell would find it. */
export function onPath(
  name: string,
  ctx: Pick<LaunchContext, 'env' | 'platform' | 'isFile'>,
): string | undefined {
  const dirs = (ctx.env.PATH ?? ctx.env.Path ?? '').split(ctx.platform === 'win32' ? ';' : delimiter);
  const exts = ctx.platform === 'win32' ? (ctx.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';') : [''];
  for (const dir of dirs) {
    if (dir === '') continue;
    for (const ext of exts) {
      const candidate = join(dir, `${name}${ext.toLowerCase()}`);
      if (ctx.isFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Starts the daemon detached in its own process group, so it outlives the tray (quitting the
 * tray must not stop mail watching for `tidings watch` users or hooks). A spawn failure is
 * reported through `onError`; the connection keeps retrying either way. Returns the child so a
 * caller (a test) can end exactly that process by pid.
 */
export function launchDaemon(
  command: readonly [string, ...string[]],
  onError: (err: Error) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const [cmd, ...args] = command;
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore', windowsHide: true, env });
  child.once('error', onError);
  child.unref();
  return child;
}
