import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEasServer } from '@tidings/fixtures';
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

  it("an account whose tls.ca is missing is that account's error: the process runs the others (issue 13 §5)", async () => {
    const eas = await startEasServer({ pingTimeScale: 5 });
    cleanups.push(() => eas.close());
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    const missing = join(dirs.root, 'corp-ca.pem');
    const account = (id: string, extra: object = {}) => ({
      id,
      kind: 'exchange',
      email: 'alice@example.com',
      username: 'alice',
      url: eas.url,
      auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_PW' } },
      ...extra,
    });
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [account('first', { tls: { ca: missing } }), account('second'), account('third')],
      }),
      { mode: 0o600 },
    );
    const env = { ...process.env, TIDINGS_TEST_PW: 'alice-password' };
    const args = ['--config', dirs.configPath, '--socket', dirs.ipcPath];
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'tidings.js'), 'daemon', '--no-demo', ...args, '--state-dir', dirs.stateDir],
      { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(() => existsSync(dirs.ipcPath) || child.exitCode !== null, 'the daemon socket', 60_000);
    expect(child.exitCode, stderr).toBeNull();
    const c = await connect(dirs.ipcPath, { client: 'test' });
    cleanups.push(() => c.close());
    let states: string[] = [];
    await until(
      () => {
        void c.call('status', {}).then((s) => {
          states = s.accounts.map((a) => a.status.state);
        });
        return states.join() === 'error,waiting,waiting';
      },
      'first error, second and third waiting',
      30_000,
    );
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'tidings.js'), 'status', ...args], {
      cwd: ROOT,
      env,
    });
    expect(stdout).toMatch(
      new RegExp(`first \\(exchange\\): error — cannot start: tls\\.ca: cannot read ${missing}`),
    );
    expect(stdout).not.toContain('disabled');
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 90_000);
});
