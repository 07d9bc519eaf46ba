import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the path functions read from the process; injected so tests cover every platform. */
export interface PlatformEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

const current = (): PlatformEnv => ({ platform: process.platform, env: process.env, home: homedir() });

/**
 * The directory holding config.json: `$XDG_CONFIG_HOME/tidings` (XDG Base Directory spec,
 * default `~/.config`) on Linux and BSDs, `~/Library/Application Support/Tidings` on macOS,
 * `%APPDATA%\Tidings` on Windows.
 */
export function configDir(p: PlatformEnv = current()): string {
  if (p.platform === 'darwin') return join(p.home, 'Library', 'Application Support', 'Tidings');
  if (p.platform === 'win32') return join(p.env.APPDATA || join(p.home, 'AppData', 'Roaming'), 'Tidings');
  return join(p.env.XDG_CONFIG_HOME || join(p.home, '.config'), 'tidings');
}

/**
 * The config file: `--config` wins, then `TIDINGS_CONFIG`, then `config.json` in configDir().
 */
export function resolveConfigPath(flag: string | undefined, p: PlatformEnv = current()): string {
  if (flag) return flag;
  if (p.env.TIDINGS_CONFIG) return p.env.TIDINGS_CONFIG;
  return join(configDir(p), 'config.json');
}

/**
 * Where the state store lives: `$XDG_STATE_HOME/tidings` on Linux (state that should survive
 * reboots but is not configuration), the config dir on macOS and Windows (as apps do there).
 * `TIDINGS_STATE_DIR` overrides.
 */
export function stateDir(p: PlatformEnv = current()): string {
  if (p.env.TIDINGS_STATE_DIR) return p.env.TIDINGS_STATE_DIR;
  if (p.platform === 'darwin' || p.platform === 'win32') return configDir(p);
  return join(p.env.XDG_STATE_HOME || join(p.home, '.local', 'state'), 'tidings');
}
