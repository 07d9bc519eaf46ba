import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DAEMON_ARGS,
  chooseDaemon,
  type LaunchContext,
  NO_DAEMON,
  onPath,
} from '../src/main/daemon-launcher';

/**
 * Issue 16, "The tray as an app": which daemon the tray starts. Pure: the file system is a set
 * of paths, so every order and platform is tested under Node.
 */
const ELECTRON = '/opt/Tidings/tidings-tray';
const RESOURCES = '/opt/Tidings/resources';

function ctx(files: string[], over: Partial<LaunchContext> = {}): LaunchContext {
  const set = new Set(files);
  return {
    env: { PATH: '/usr/local/bin:/usr/bin' },
    execPath: ELECTRON,
    resourcesPath: RESOURCES,
    platform: 'linux',
    isFile: (p) => set.has(p),
    ...over,
  };
}

describe('choosing the daemon', () => {
  it('runs the bundled daemon with Electron’s own Node, with a flag that never starts the demo', () => {
    const r = chooseDaemon(ctx([join(RESOURCES, 'daemon', 'dist', 'tidings.mjs'), '/usr/bin/tidings']));
    expect(r).toEqual({
      ok: true,
      source: 'bundled',
      command: [ELECTRON, join(RESOURCES, 'daemon', 'dist', 'tidings.mjs'), 'daemon', '--empty'],
      env: { PATH: '/usr/local/bin:/usr/bin', ELECTRON_RUN_AS_NODE: '1' },
    });
    expect(DAEMON_ARGS).toContain('--empty');
  });

  it('falls back to `tidings` on PATH, first match wins, without Electron’s variable', () => {
    const r = chooseDaemon(ctx(['/usr/bin/tidings', '/usr/local/bin/tidings']));
    expect(r).toMatchObject({
      ok: true,
      source: 'path',
      command: ['/usr/local/bin/tidings', 'daemon', '--empty'],
    });
    expect(r.ok && r.env.ELECTRON_RUN_AS_NODE).toBeFalsy();
    // Run from a checkout (not packaged): no resources to look in.
    expect(chooseDaemon(ctx(['/usr/bin/tidings'], { resourcesPath: undefined }))).toMatchObject({
      source: 'path',
      command: ['/usr/bin/tidings', 'daemon', '--empty'],
    });
  });

  it('says why when there is neither, instead of retrying for ever', () => {
    const r = chooseDaemon(ctx([]));
    expect(r).toEqual({ ok: false, reason: NO_DAEMON });
    expect(NO_DAEMON).toContain('npm install -g tidings');
  });

  it('TIDINGS_DAEMON_COMMAND wins (a development checkout)', () => {
    const r = chooseDaemon(
      ctx([join(RESOURCES, 'daemon', 'dist', 'tidings.mjs')], {
        env: { TIDINGS_DAEMON_COMMAND: ' npx  tsx daemon/src/cli/main.ts daemon ' },
      }),
    );
    expect(r).toMatchObject({
      source: 'custom',
      command: ['npx', 'tsx', 'daemon/src/cli/main.ts', 'daemon'],
    });
  });

  it('finds tidings.cmd on Windows through PATHEXT', () => {
    const win = { env: { Path: 'C:\\npm;C:\\bin', PATHEXT: '.EXE;.CMD' }, platform: 'win32' as const };
    const found = onPath('tidings', { ...win, isFile: (p) => p === join('C:\\bin', 'tidings.cmd') });
    expect(found).toBe(join('C:\\bin', 'tidings.cmd'));
    expect(onPath('tidings', { ...win, isFile: () => false })).toBeUndefined();
  });
});
