import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/ipc/client';
import { daemonDirs, until } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('tidings daemon as a process (through bin/tidings.js)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 on ${signal} with nothing left open: timers, sockets, the demo server, the socket file`, async () => {
      const dirs = daemonDirs();
      cleanups.push(dirs.cleanup);
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'tidings.js'),
          'daemon',
          '--config',
          dirs.configPath,
          '--socket',
          dirs.ipcPath,
          '--state-dir',
          dirs.stateDir,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      cleanups.push(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      await until(() => existsSync(dirs.ipcPath), 'the daemon socket', 60_000);
      const c = await connect(dirs.ipcPath, { client: 'test' });
      expect((await c.call('status', {})).demo).toBe(true);
      c.close();
      await until(() => stdout.includes('demo Inbox'), 'the demo to print a signal', 30_000);
      child.kill(signal);
      // Exiting on its own proves every timer and socket was closed: nothing keeps the loop alive.
      expect(await exit).toBe(0);
      expect(existsSync(dirs.ipcPath)).toBe(false);
    }, 90_000);
  }
});
