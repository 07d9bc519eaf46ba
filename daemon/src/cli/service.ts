import { join } from 'node:path';

/** The repository root, from this file (daemon/src/cli/service.ts). */
const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Where the unit templates live (kept in build/, also shipped by electron-builder). */
export const SERVICE_TEMPLATES = {
  linux: join(ROOT, 'build', 'tidings.service'),
  darwin: join(ROOT, 'build', 'com.tidings.daemon.plist'),
} as const;

/** The launcher the unit runs. */
export const TIDINGS_BIN = join(ROOT, 'bin', 'tidings.js');

export interface ServicePlan {
  /** Where the unit file goes. */
  path: string;
  content: string;
  /** Commands that load and enable it, run in order. */
  commands: string[][];
}

/** Fills the template's @NODE@, @TIDINGS@ and @HOME@. Pure. */
export function renderUnit(template: string, vars: { node: string; tidings: string; home: string }): string {
  return template
    .replaceAll('@NODE@', vars.node)
    .replaceAll('@TIDINGS@', vars.tidings)
    .replaceAll('@HOME@', vars.home);
}

/**
 * What `service install` does on this platform: the systemd user unit on Linux
 * (`$XDG_CONFIG_HOME/systemd/user`), the launchd agent on macOS (`~/Library/LaunchAgents`).
 * Pure: the caller reads the template and runs the commands (or prints them with --dry-run).
 */
export function servicePlan(
  platform: NodeJS.Platform,
  template: string,
  vars: { node: string; tidings: string; home: string; uid: number; env: NodeJS.ProcessEnv },
): ServicePlan | undefined {
  const content = renderUnit(template, vars);
  if (platform === 'darwin') {
    const path = join(vars.home, 'Library', 'LaunchAgents', 'com.tidings.daemon.plist');
    return {
      path,
      content,
      commands: [
        // bootout first so a reinstall replaces a loaded agent; its failure (not loaded) is fine.
        ['launchctl', 'bootout', `gui/${vars.uid}/com.tidings.daemon`],
        ['launchctl', 'bootstrap', `gui/${vars.uid}`, path],
      ],
    };
  }
  if (platform === 'win32') return undefined;
  const configHome = vars.env.XDG_CONFIG_HOME || join(vars.home, '.config');
  return {
    path: join(configHome, 'systemd', 'user', 'tidings.service'),
    content,
    commands: [
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'tidings.service'],
    ],
  };
}
