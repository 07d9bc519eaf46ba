import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The command that starts the daemon: `TIDINGS_DAEMON_COMMAND` (whitespace-separated, for a
 * development checkout: "npx tsx daemon/src/cli/main.ts daemon"), else `tidings daemon` from PATH.
 */
export function daemonCommand(env: NodeJS.ProcessEnv = process.env): [string, ...string[]] {
  const custom = env.TIDINGS_DAEMON_COMMAND?.trim();
  if (custom) {
    const [cmd, ...args] = custom.split(/\s+/);
    if (cmd) return [cmd, ...args];
  }
  return ['tidings', 'daemon'];
}

/**
 * Starts the daemon detached in its own process group, so it outlives the tray (quitting the
 * tray must not stop mail watching for `tidings watch` users or hooks). A spawn failure (no
 * `tidings` on PATH) is reported through `onError`; the connection keeps retrying either way.
 * Returns the child so a caller (a test) can end exactly that process by pid.
 */
export function launchDaemon(
  command: readonly [string, ...string[]] = daemonCommand(),
  onError: (err: Error) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const [cmd, ...args] = command;
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore', windowsHide: true, env });
  child.once('error', onError);
  child.unref();
  return child;
}
