import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The directory holding bin/ and build/: the repository root when run from the sources
 * (daemon/src/cli/), the installed package's root when run from the bundle (dist/ or
 * dist/chunks/, wherever esbuild puts this module). Found by walking up, not by a fixed number of
 * `..`, for that reason.
 */
export function packageRoot(from: string = import.meta.dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'bin', 'tidings.js')) && existsSync(join(dir, 'build', 'tidings.service')))
      return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`cannot find the tidings package (bin/tidings.js, build/tidings.service) above ${from}`);
}

/** Which service manager and scope a unit is for. */
export type ServiceKind = 'systemd-user' | 'systemd-system' | 'launchd';

/** The template of each kind, under build/ (the tarball ships them; electron-builder too). */
export const SERVICE_TEMPLATES: Record<ServiceKind, string> = {
  'systemd-user': 'tidings.service',
  'systemd-system': 'tidings-system.service',
  launchd: 'com.tidings.daemon.plist',
};

/** Paths of the template and the launcher, from the package root. */
export function serviceFiles(
  kind: ServiceKind,
  root: string = packageRoot(),
): { template: string; tidings: string } {
  return { template: join(root, 'build', SERVICE_TEMPLATES[kind]), tidings: join(root, 'bin', 'tidings.js') };
}

/**
 * Exit codes after which a restart cannot help (daemon/src/cli/errors.ts EXIT): 2, a bad command
 * line in the unit; 4, the config file missing, unreadable or invalid. The units list them in
 * `RestartPreventExitStatus=` so a broken config is reported once, not restarted every 10 s.
 */
export const NO_RESTART_EXIT_CODES = [2, 4] as const;

import { SYSTEM_PATHS } from './service-paths';

export { SYSTEM_PATHS };

/** systemd-sysusers(8) line for the system unit's user: a system account with no login. */
export const SYSUSERS_CONF = `# The account the Tidings system service runs as (tidings service install --system).
u ${SYSTEM_PATHS.user} - "Tidings push-sync daemon" ${SYSTEM_PATHS.state} -
`;

export interface ServiceFile {
  path: string;
  content: string;
  mode: number;
}

export interface ServicePlan {
  kind: ServiceKind;
  /** Where the unit file goes. */
  path: string;
  content: string;
  /** Other files written before the commands run (the system unit's sysusers.d entry). */
  files: ServiceFile[];
  /** Directories created first (launchd opens StandardErrorPath but does not create its directory). */
  dirs: string[];
  /** Commands that load and enable it, run in order. */
  commands: string[][];
  /**
   * Indexes into `commands` whose failure is expected and harmless (launchctl bootout of an agent
   * that is not loaded).
   */
  mayFail: number[];
  /** What the person should know or do next (printed after install, and with --dry-run). */
  notes: string[];
}

/** Fills the template's @NODE@, @TIDINGS@ and @HOME@. Pure. */
export function renderUnit(template: string, vars: { node: string; tidings: string; home: string }): string {
  return template
    .replaceAll('@NODE@', vars.node)
    .replaceAll('@TIDINGS@', vars.tidings)
    .replaceAll('@HOME@', vars.home);
}

/** Which unit `service install` writes here: the flags, the platform and who runs it decide. */
export function serviceKind(platform: NodeJS.Platform, system: boolean): ServiceKind | undefined {
  if (platform === 'win32') return undefined;
  if (platform === 'darwin') return 'launchd';
  return system ? 'systemd-system' : 'systemd-user';
}

/**
 * What `service install` does for `kind`. Pure: the caller reads the template, writes the files
 * and runs the commands (or prints them with --dry-run).
 * - systemd-user: `$XDG_CONFIG_HOME/systemd/user/tidings.service`, enabled with `systemctl --user`.
 *   A user unit runs only while the user has a session unless lingering is enabled: the notes say
 *   so (`loginctl enable-linger`), as the service must survive logout on a server.
 * - systemd-system: `/etc/systemd/system/tidings.service`, run as the `tidings` system user that
 *   systemd-sysusers creates, config in /etc/tidings, state in /var/lib/tidings; needs root.
 * - launchd: `~/Library/LaunchAgents/com.tidings.daemon.plist`, bootstrapped into `gui/<uid>`.
 */
export function servicePlan(
  kind: ServiceKind,
  template: string,
  vars: {
    node: string;
    tidings: string;
    home: string;
    uid: number;
    user?: string;
    env: NodeJS.ProcessEnv;
    /** systemd-system: whether SYSTEM_PATHS.config exists (then the unit is started too). */
    configExists?: boolean;
    /** systemd-user: whether the user already lingers (/var/lib/systemd/linger/<user>). */
    lingering?: boolean;
  },
): ServicePlan {
  const content = renderUnit(template, vars);
  if (kind === 'launchd') {
    const path = join(vars.home, 'Library', 'LaunchAgents', 'com.tidings.daemon.plist');
    return {
      kind,
      path,
      content,
      files: [],
      dirs: [join(vars.home, 'Library', 'Logs', 'Tidings')],
      commands: [
        // bootout first so a reinstall replaces a loaded agent; its failure (not loaded) is fine.
        ['launchctl', 'bootout', `gui/${vars.uid}/com.tidings.daemon`],
        ['launchctl', 'bootstrap', `gui/${vars.uid}`, path],
      ],
      mayFail: [0],
      notes: [
        `logs: ${join(vars.home, 'Library', 'Logs', 'Tidings', 'daemon.log')}`,
        'stop: launchctl bootout gui/$(id -u)/com.tidings.daemon',
      ],
    };
  }
  if (kind === 'systemd-system') {
    return {
      kind,
      path: SYSTEM_PATHS.unit,
      content,
      files: [{ path: SYSTEM_PATHS.sysusers, content: SYSUSERS_CONF, mode: 0o644 }],
      dirs: [],
      commands: [
        ['systemd-sysusers', SYSTEM_PATHS.sysusers],
        ['systemctl', 'daemon-reload'],
        // Without a config, enable only: started now, --no-demo would make it exit 4 at once.
        ['systemctl', 'enable', ...(vars.configExists ? ['--now'] : []), 'tidings.service'],
      ],
      mayFail: [],
      notes: [
        ...(vars.configExists
          ? [`config: ${SYSTEM_PATHS.config}; after a change: systemctl reload tidings`]
          : [
              `write the config to ${SYSTEM_PATHS.config} (root-owned, not writable by others), then: systemctl start tidings`,
            ]),
        'secrets: no OS keyring for a system service; give accounts a "passwordCommand", or an "env" secret set by Environment= / LoadCredential= in `systemctl edit tidings`',
        'logs: journalctl -u tidings   (warnings and errors: journalctl -u tidings -p warning)',
        `talk to it: sudo -u ${SYSTEM_PATHS.user} tidings status --socket ${SYSTEM_PATHS.socket}`,
      ],
    };
  }
  const configHome = vars.env.XDG_CONFIG_HOME || join(vars.home, '.config');
  const user = vars.user ?? vars.env.USER ?? vars.env.LOGNAME ?? '';
  return {
    kind,
    path: join(configHome, 'systemd', 'user', 'tidings.service'),
    content,
    files: [],
    dirs: [],
    commands: [
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'tidings.service'],
    ],
    mayFail: [],
    notes: [
      // loginctl(1): a user manager runs from the first login to the last logout unless the user
      // lingers.
      vars.lingering
        ? 'lingering is on for you: the unit runs from boot, logged in or not'
        : `a user unit runs only while you are logged in; to keep it running after logout and start it at boot: loginctl enable-linger${user ? ` ${user}` : ''}`,
      'logs: journalctl --user -u tidings   (warnings and errors: journalctl --user -u tidings -p warning)',
      'on a server without a login session, use the system unit instead: sudo tidings service install --system',
    ],
  };
}

/**
 * Why `systemctl --user` cannot work here, if it cannot: it needs the user's manager, reached
 * through $XDG_RUNTIME_DIR/bus or DBUS_SESSION_BUS_ADDRESS. As root over SSH (no user session)
 * it fails with "Failed to connect to bus"; the answer then is the system unit. Pure.
 */
export function userBusProblem(
  env: NodeJS.ProcessEnv,
  uid: number,
  exists: (path: string) => boolean,
): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && exists(join(runtime, 'bus'))) return undefined;
  const asRoot =
    uid === 0 ? 'as root, install the system unit instead: tidings service install --system' : '';
  return [
    `no systemd user manager is reachable (${runtime ? `no ${join(runtime, 'bus')}` : 'XDG_RUNTIME_DIR is not set'}): \`systemctl --user\` would fail with "Failed to connect to bus".`,
    asRoot ||
      'log in to a session of this user (not `su`/`sudo -u`), or run `sudo loginctl enable-linger $USER` and log in again; on a server, the system unit: sudo tidings service install --system',
  ].join(' ');
}

/**
 * Why the system unit could not start these paths, if it could not: it runs as `tidings` with
 * ProtectHome=yes, so node or the package installed under a home directory (nvm, a per-user npm
 * prefix) is out of its reach, and /root is closed to other users anyway. Pure.
 */
export function systemPathProblem(paths: { node: string; tidings: string }): string | undefined {
  const home = /^\/(home|root|run\/user)(\/|$)/;
  const inHome = [paths.node, paths.tidings].filter((p) => home.test(p));
  if (inHome.length === 0) return undefined;
  return `the system unit runs as "${SYSTEM_PATHS.user}" with home directories hidden (ProtectHome=yes), so it cannot run ${inHome.join(' and ')}; install node and tidings outside /home and /root (e.g. sudo npm install -g --prefix /usr/local --allow-scripts=better-sqlite3 ./tidings-<version>.tgz) and run that tidings`;
}
