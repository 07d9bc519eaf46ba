import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs the user's `notifications.openCommand` for a clicked notification, through the shell as
 * the user wrote it (`thunderbird -mail`, `open -a Mail`, `xdg-open https://…`), detached so it
 * outlives the tray. What was clicked is in the environment (TIDINGS_ACCOUNT, TIDINGS_FOLDER, …),
 * never pasted into the command line: a subject or folder name cannot inject shell code.
 * Returns the child so a caller (a test) can wait for it.
 */
export function runOpenCommand(
  target: { command: string; env: Record<string, string> },
  onError: (err: Error) => void,
  baseEnv: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): ChildProcess {
  const [shell, args] =
    platform === 'win32'
      ? [baseEnv.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', target.command]]
      : ['/bin/sh', ['-c', target.command]];
  const child = spawn(shell, args, {
    detached: true,
    stdio: 'ignore',
    windowsHide: true,
    env: { ...baseEnv, ...target.env },
  });
  child.once('error', onError);
  child.unref();
  return child;
}
