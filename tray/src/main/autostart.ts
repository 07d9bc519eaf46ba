import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Start at login on Linux. Electron's app.setLoginItemSettings covers macOS and Windows only,
 * so on Linux we write an XDG Autostart entry (freedesktop "Desktop Application Autostart
 * Specification"): $XDG_CONFIG_HOME/autostart/<name>.desktop.
 */
export function autostartPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'autostart', 'org.tidings.tray.desktop');
}

/** The desktop entry; `exec` is the tray's executable (an AppImage path when run as one). */
export function autostartEntry(exec: string): string {
  // Desktop Entry Spec "The Exec key": quote the path, escaping the characters it reserves.
  const quoted = `"${exec.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tidings',
    'Comment=Mail, calendar and contact change notifications',
    `Exec=${quoted} --hidden`,
    // electron-builder installs the app icon under the executable's name (linux.executableName).
    'Icon=tidings-tray',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes or removes the autostart entry. */
export async function setLinuxAutostart(
  enabled: boolean,
  exec: string,
  path = autostartPath(),
): Promise<void> {
  if (!enabled) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, autostartEntry(exec), { mode: 0o644 });
}
