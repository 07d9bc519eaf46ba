/**
 * `tidings account add` tests the server as the account's own device (issue 13 §1): the test
 * makes the account's DeviceId once and keeps it in the daemon's state store under the account's
 * id, so the daemon that watches the account afterwards speaks as the same device. Before, the
 * test ran with a store of its own and registered a throwaway device on the server on every add.
 * Held against the EAS fixture, which records every request's DeviceId: with no daemon running
 * (the CLI tests with the state store itself), and with one running (the add's test goes through
 * the daemon, `accounts.test`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import { testAccount } from '../../src/diagnose/checks';
import { capturingLog, until } from '../daemon/helpers';

let root: string;
let eas: EasFixtureServer;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tidings-add-device-'));
  eas = await startEasServer({ users: { alice: 'wonderland' }, pingTimeScale: 5 });
});
afterAll(async () => {
  await eas?.close();
  rmSync(root, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function home() {
  const dir = mkdtempSync(join(root, 'home-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH,
    ALICE_PW: 'wonderland',
  };
  return {
    env,
    configPath: join(dir, 'cfg', 'tidings', 'config.json'),
    // paths.ts: $XDG_STATE_HOME/tidings and $XDG_RUNTIME_DIR/tidings/tidings.sock.
    stateDir: join(dir, 'state', 'tidings'),
    socket: join(dir, 'run', 'tidings', 'tidings.sock'),
  };
}

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(typeof t === 'string' ? t : Buffer.from(t).toString('utf8')),
    stderr: (t) => out.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  return { code: await runCli(args, io), out: out.join('') };
}

const add = (env: NodeJS.ProcessEnv) =>
  cli(
    [
      'account',
      'add',
      'exchange',
      '--id',
      'work',
      '--email',
      'alice@example.org',
      '--username',
      'alice',
      '--url',
      eas.url,
      '--password-env',
      'ALICE_PW',
      '--json',
    ],
    env,
  );

async function daemonFor(h: ReturnType<typeof home>) {
  const d = await startDaemon({
    configPath: h.configPath,
    stateDir: h.stateDir,
    ipcPath: h.socket,
    log: capturingLog('fatal').log,
    desktop: false,
    wakeMonitor: false,
    secrets: { env: h.env },
    tester: testAccount,
  });
  cleanups.push(() => d.stop());
  return d;
}

/** The DeviceIds the fixture saw since `mark` (OPTIONS carries none). */
const devicesSince = (mark: number) =>
  new Set(
    eas.requests
      .slice(mark)
      .filter((q) => q.command !== 'OPTIONS')
      .map((q) => q.deviceId),
  );

describe('account add tests as the device the account will be', () => {
  it('no daemon running: account add, then the daemon starts — the server saw exactly one DeviceId', async () => {
    const h = home();
    const mark = eas.requests.length;
    const r = await add(h.env);
    expect(r.code, r.out).toBe(EXIT.OK);
    expect(JSON.parse(r.out)).toMatchObject({ added: true, id: 'work', test: { ok: true } });
    // The test did speak ActiveSync (Provision, FolderSync, Ping) as a device.
    expect(devicesSince(mark).size).toBe(1);

    const d = await daemonFor(h);
    await until(() => d.status().accounts[0]?.status.state === 'waiting', 'the daemon watching', 30_000);
    const seen = devicesSince(mark);
    expect(seen.size, [...seen].join(', ')).toBe(1);
    expect([...seen][0]).toMatch(/^[A-Za-z0-9]{1,32}$/);
  });

  it('a daemon running: the add is tested through it, and the account it then watches is the same device', async () => {
    const h = home();
    mkdirSync(join(h.env.XDG_CONFIG_HOME!, 'tidings'), { recursive: true, mode: 0o700 });
    writeFileSync(h.configPath, JSON.stringify({ accounts: [] }), { mode: 0o600 });
    const d = await daemonFor(h);
    const mark = eas.requests.length;
    const r = await add(h.env);
    expect(r.code, r.out).toBe(EXIT.OK);
    expect(JSON.parse(r.out)).toMatchObject({ added: true, id: 'work', test: { ok: true } });
    await until(
      () => d.status().accounts.find((a) => a.id === 'work')?.status.state === 'waiting',
      'the daemon watching the added account',
      30_000,
    );
    const seen = devicesSince(mark);
    expect(seen.size, [...seen].join(', ')).toBe(1);
  });
});
