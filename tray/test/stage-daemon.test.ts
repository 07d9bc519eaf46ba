import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DAEMON } from '../src/main/daemon-launcher';
import { stageDaemon } from '../scripts/stage-daemon';

/**
 * Issue 16: the daemon shipped inside the tray package. The staged directory must run on its
 * own — out of the repository, nothing resolved from its node_modules — as resources/daemon does
 * in the package. Run here with this Node (no Electron binary, no rebuild): the layout is what is
 * tested; the rebuild for Electron's ABI is @electron/rebuild's.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'tidings-stage-'));
let staged: { out: string; packages: string[] };

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'tidings.mjs'))) {
    const { buildDaemon } = await import('../../scripts/build-daemon');
    await buildDaemon({ quiet: true });
  }
  staged = await stageDaemon({ out: join(root, 'resources', 'daemon'), electronVersion: false });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [join(root, 'resources', BUNDLED_DAEMON), ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the staged daemon', { timeout: 120_000 }, () => {
  it('holds the bundle and the run-time closure of its native externals, nothing for installing', () => {
    expect(existsSync(join(root, 'resources', BUNDLED_DAEMON))).toBe(true);
    expect(staged.packages).toEqual(
      expect.arrayContaining(['better-sqlite3', 'bindings', '@napi-rs/keyring', 'node-notifier']),
    );
    expect(staged.packages).not.toContain('prebuild-install');
    expect(existsSync(join(staged.out, 'node_modules', 'better-sqlite3', 'deps'))).toBe(false);
  });

  it('runs out of the repository: --version, then a daemon with no config, no demo, and its store', async () => {
    const home = join(root, 'home');
    mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      XDG_STATE_HOME: join(home, 'state'),
      XDG_RUNTIME_DIR: join(home, 'run'),
    };
    const v = run(['--version'], env);
    expect(v.stderr).toBe('');
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const socket = ['--socket', join(home, 'run', 'd.sock')];
    const daemon = spawn(
      process.execPath,
      [join(root, 'resources', BUNDLED_DAEMON), 'daemon', '--empty', ...socket],
      {
        env,
        stdio: 'ignore',
      },
    );
    try {
      let status = run(['status', '--json', ...socket], env);
      // Polled with a generous deadline: a loaded machine may take seconds to start it.
      for (let i = 0; i < 300 && status.status !== 0 && daemon.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = run(['status', '--json', ...socket], env);
      }
      expect(status.status).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ demo: false, accounts: [] });
      // better-sqlite3 loaded from the staged node_modules: the state store exists.
      expect(existsSync(join(home, 'state', 'tidings', 'state.db'))).toBe(true);
      // The keyring addon resolves from there too (loaded on first use by the daemon).
      const keyring = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "await import('@napi-rs/keyring')"],
        {
          cwd: staged.out,
          encoding: 'utf8',
        },
      );
      expect(keyring.stderr).toBe('');
      expect(run(['stop', ...socket], env).status).toBe(0);
      await new Promise((r) => (daemon.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
    } finally {
      if (daemon.exitCode === null && daemon.pid !== undefined) process.kill(daemon.pid, 'SIGTERM');
    }
  });
});
