import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { connect } from '../../src/ipc/client';
import { IpcError } from '../../src/ipc/errors';
import { startIpcServer } from '../../src/ipc/server';
import { silentLog, testHandlers } from './helpers';

/**
 * Issue 13 §4: with XDG_RUNTIME_DIR unset the socket lives in /tmp/tidings-<uid>/, which any
 * local user can create first. A second Unix user (nobody, through setpriv) plants a listening
 * socket there; the CLI and the client must refuse before sending a byte — the attacker's
 * listener counts connections and bytes and must see none.
 */

const NOBODY = 65534;
const canSwitchUser = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const why = 'needs root and setpriv (util-linux) to run the planting listener as a second Unix user';
if (!canSwitchUser) {
  if (process.env.CI === 'true') throw new Error(`planted-socket suite: ${why}`);
  console.log(`planted-socket suite skipped: ${why}`);
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-plant-'));
  // World-traversable, like /tmp itself: only our checks stand between nobody and us.
  chmodSync(dir, 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Listens on `path` as uid nobody; reports every connection and byte on its stdout. */
async function plantAsNobody(path: string): Promise<{ seen: () => string }> {
  const script = `
    const net = require('node:net');
    net.createServer((s) => {
      process.stdout.write('CONNECTION\\n');
      s.on('data', (d) => process.stdout.write('DATA ' + d.length + '\\n'));
    }).listen(process.argv[1], () => process.stdout.write('LISTENING\\n'));`;
  const child: ChildProcess = spawn(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', script, path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('LISTENING') ? resolve() : undefined);
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`planting listener exited with ${code}`)));
  });
  return { seen: () => out.replace('LISTENING\n', '') };
}

async function cli(args: string[], stdin: string): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'tidings-plant-home-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const io: CliIo = {
    stdout: () => {},
    stderr: (t) => err.push(t),
    // No XDG_RUNTIME_DIR: the situation the issue describes.
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), PATH: process.env.PATH },
    stdin: async () => new TextEncoder().encode(stdin),
    interrupted: () => new Promise(() => {}),
    // A keyring that works, so the CLI gets as far as talking to the daemon.
    hooks: {
      keyring: {
        get: async () => null,
        set: async () => {},
        delete: async () => false,
      },
    },
  };
  return { code: await runCli(args, io), stderr: err.join('') };
}

describe.skipIf(!canSwitchUser)('issue 13 §4: a socket planted by another local user', () => {
  it('the CLI refuses before sending the password: nobody sees a connection, let alone a byte', async () => {
    const dir = join(tempRoot(), `tidings-${process.getuid?.()}`);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
    const path = join(dir, 'tidings.sock');
    const attacker = await plantAsNobody(path);

    const r = await cli(
      [
        'account',
        'add',
        'caldav',
        '--id',
        'cal',
        '--url',
        'https://dav.example.org/',
        '--username',
        'me',
        '--password-stdin',
        '--no-test',
        '--socket',
        path,
      ],
      'the-password\n',
    );
    expect(r.code).not.toBe(EXIT.OK);
    expect(r.stderr).toContain('IPC_ERR_UNSAFE_PATH');
    expect(r.stderr).toContain(`${dir} belongs to uid ${NOBODY}`);
    expect(r.stderr).toContain(`remove ${dir}`);
    expect(r.stderr).not.toContain('the-password');

    const err = await connect(path, { client: 'tray' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).code).toBe('IPC_ERR_UNSAFE_PATH');
    // The attacker's own view: not one connection, not one byte.
    expect(attacker.seen()).toBe('');
  });

  it('refuses a socket that is not ours even in a directory that is, and a directory others can write', async () => {
    const dir = join(tempRoot(), 'run');
    const path = join(dir, 'tidings.sock');
    const server = await startIpcServer({ path, log: silentLog, version: 't', handlers: testHandlers() });
    cleanups.push(() => server.close());
    // Sanity: as things stand the client connects, so the refusals below are about ownership.
    (await connect(path)).close();

    chownSync(path, NOBODY, NOBODY);
    let err = (await connect(path).catch((e: unknown) => e)) as IpcError;
    expect(err.code).toBe('IPC_ERR_UNSAFE_PATH');
    expect(err.message).toContain(`the socket belongs to uid ${NOBODY}`);
    chownSync(path, process.getuid?.() ?? 0, process.getgid?.() ?? 0);

    chmodSync(dir, 0o777);
    err = (await connect(path).catch((e: unknown) => e)) as IpcError;
    expect(err.code).toBe('IPC_ERR_UNSAFE_PATH');
    expect(err.message).toContain(`chmod 700 '${dir}'`);
    chmodSync(dir, 0o700);
    (await connect(path)).close();
  });
});
