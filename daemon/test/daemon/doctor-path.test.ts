/**
 * `tidings doctor` and `account test` on the daemon's code path (issue 13 §1, §6): the same
 * dispatcher and TLS material as the daemon (a correct `tls.ca` file passes, as it does for the
 * daemon; `rejectUnauthorized: false` is a warning, never plain ok; an unreadable CA fails as
 * the daemon's account does), and the same DeviceId as the account — no new device per run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateTestTls, type TestTls } from '../../../fixtures/src/autodiscover-server/test-tls';
import { formatSteps } from '../../src/cli/checks-table';
import { type CliIo, runCli } from '../../src/cli/main';
import { accountSchema } from '../../src/config/account';
import { startDaemon } from '../../src/daemon';
import { testAccount } from '../../src/diagnose/checks';
import type { TestResult } from '../../src/ipc/protocol';
import { MemoryStore } from '../../src/store/memory-store';
import { capturingLog, until } from './helpers';

let tls: TestTls;
let eas: EasFixtureServer;
let front: { port: number; close(): Promise<void> };
let root: string;
const cleanups: (() => void | Promise<void>)[] = [];

/** TLS (the generated test CA's leaf, SAN 127.0.0.1) in front of the plain-HTTP EAS fixture. */
async function tlsFront(targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: tls.key, cert: tls.cert }, (s) => {
    const up = netConnect(targetPort, '127.0.0.1');
    sockets.add(s).add(up);
    s.pipe(up).pipe(s);
    const end = () => {
      s.destroy();
      up.destroy();
    };
    s.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  tls = await generateTestTls(['localhost']);
  eas = await startEasServer({ pingTimeScale: 5 });
  front = await tlsFront(eas.port);
  root = mkdtempSync(join(tmpdir(), 'tidings-doctor-'));
  writeFileSync(join(root, 'ca.pem'), tls.ca);
});
afterAll(async () => {
  await front?.close();
  await eas?.close();
  rmSync(root, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const log = () => capturingLog('fatal').log;
const secret = { get: async () => 'alice-password' };
const httpsUrl = () => `https://127.0.0.1:${front.port}/Microsoft-Server-ActiveSync`;
const account = (tlsOpts?: object) =>
  accountSchema().parse({
    id: 'work',
    kind: 'exchange',
    email: 'alice@example.com',
    username: 'alice',
    url: httpsUrl(),
    auth: { type: 'basic', secret: { env: 'TIDINGS_PW' } },
    ...(tlsOpts ? { tls: tlsOpts } : {}),
  });
const step = (r: TestResult, name: string) => r.steps.find((s) => s.name === name);

describe('doctor / account test: TLS as the daemon connects', () => {
  it('a correct tls.ca file passes and the checks go on to Ping', async () => {
    const r = await testAccount(account({ ca: join(root, 'ca.pem') }), secret, log(), { pingHoldMs: 200 });
    expect(step(r, 'tls')).toMatchObject({ ok: true });
    expect(step(r, 'tls')).not.toHaveProperty('warn');
    expect(step(r, 'tls')!.note).toContain('verified');
    expect(r).toMatchObject({ ok: true });
    expect(step(r, 'ping')).toMatchObject({ ok: true });
  });

  it('without the CA the certificate is not trusted, and the fix names tls.ca', async () => {
    const r = await testAccount(account(), secret, log(), { pingHoldMs: 200 });
    expect(r.ok).toBe(false);
    expect(step(r, 'tls')).toMatchObject({ ok: false });
    expect(step(r, 'tls')!.note).toContain('not trusted');
    expect(step(r, 'tls')!.fix).toContain('"ca"');
  });

  it('tls.rejectUnauthorized: false is a warning with a fix, never plain ok', async () => {
    const r = await testAccount(account({ rejectUnauthorized: false }), secret, log(), { pingHoldMs: 200 });
    expect(step(r, 'tls')).toMatchObject({ ok: true, warn: true });
    expect(step(r, 'tls')!.note).toContain('NOT verified');
    const table = formatSteps('work:', r);
    expect(table).toMatch(/^ {2}warn {2}tls/m);
    expect(table).toContain('remove "rejectUnauthorized": false');
  });

  it('an unreadable tls.ca fails the tls step with the code the daemon gives the account', async () => {
    const missing = join(root, 'missing.pem');
    const r = await testAccount(account({ ca: missing }), secret, log(), { pingHoldMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ name: 'tls', ok: false });
    expect(r.steps[0]!.note).toContain(`tls.ca: cannot read ${missing}`);
    expect(r.steps[0]!.note).toContain('NET_ERR_TLS_FILE');
  });
});

describe("doctor / account test: the account's own DeviceId", () => {
  it('two tests with the state store are one device, and resume the stored hierarchy', async () => {
    const store = new MemoryStore();
    const a = account({ ca: join(root, 'ca.pem') });
    const before = eas.requests.length;
    expect((await testAccount(a, secret, log(), { pingHoldMs: 100, store })).ok).toBe(true);
    const first = eas.requests.slice(before);
    expect((await testAccount(a, secret, log(), { pingHoldMs: 100, store })).ok).toBe(true);
    const second = eas.requests.slice(before + first.length);
    // OPTIONS names no device (MS-ASHTTP 2.2.1.1.1.1: no query string); every command does.
    const devices = new Set(
      [...first, ...second].filter((q) => q.command !== 'OPTIONS').map((q) => q.deviceId),
    );
    expect(devices).toEqual(new Set([store.get('work', 'eas.deviceId')]));
    // The second run neither provisions again nor restarts the hierarchy from "0" (which would
    // reset the watcher's sync state on the server, MS-ASCMD 2.2.1.5).
    expect(second.map((q) => q.command)).not.toContain('Provision');
    const fromZero = /"SyncKey".{0,40}"0"/;
    const body = (reqs: typeof first) => JSON.stringify(reqs.find((q) => q.command === 'FolderSync')?.body);
    expect(body(first)).toMatch(fromZero);
    expect(body(second)).toContain('SyncKey');
    expect(body(second)).not.toMatch(fromZero);
    expect(store.get('work', 'eas.folderSyncKey')).toBeDefined();
  });

  it("tidings doctor, without and then with a daemon, speaks as the account's one device", async () => {
    const home = mkdtempSync(join(root, 'home-'));
    const env: NodeJS.ProcessEnv = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      XDG_STATE_HOME: join(home, 'state'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      PATH: process.env.PATH,
      TIDINGS_PW: 'alice-password',
    };
    mkdirSync(join(home, 'cfg', 'tidings'), { recursive: true, mode: 0o700 });
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    const configPath = join(home, 'cfg', 'tidings', 'config.json');
    const socket = join(home, 'run', 'd.sock');
    writeFileSync(
      configPath,
      JSON.stringify({ accounts: [{ ...account({ ca: join(root, 'ca.pem') }), id: 'doc' }] }),
      { mode: 0o600 },
    );
    const doctor = async () => {
      const out: string[] = [];
      const io: CliIo = {
        stdout: (t) => out.push(String(t)),
        stderr: (t) => out.push(t),
        env,
        stdin: async () => new Uint8Array(),
        interrupted: () => new Promise(() => {}),
      };
      const code = await runCli(['doctor', '--socket', socket, '--json'], io);
      return { code, out: out.join('') };
    };
    const mark = eas.requests.length;
    const alone = await doctor();
    expect(alone.out).toContain('"name":"ping"');
    const commands = () => eas.requests.slice(mark).filter((q) => q.command !== 'OPTIONS');
    const devicesAlone = new Set(commands().map((q) => q.deviceId));
    expect(devicesAlone.size).toBe(1);

    const d = await startDaemon({
      configPath,
      stateDir: join(home, 'state', 'tidings'),
      ipcPath: socket,
      log: log(),
      desktop: false,
      wakeMonitor: false,
      secrets: { env },
      tester: testAccount,
    });
    cleanups.push(() => d.stop());
    await until(() => d.status().accounts[0]?.status.state === 'waiting', 'the daemon watching');
    const withDaemon = await doctor();
    expect(withDaemon.out).toContain('"name":"ping"');
    expect(withDaemon.out).toContain('running, pid');
    // The doctor alone, the daemon, and the doctor through the daemon: one device.
    expect(new Set(commands().map((q) => q.deviceId))).toEqual(devicesAlone);
    expect(withDaemon.code).toBe(0);
  });
});
