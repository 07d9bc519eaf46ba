import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { capturingLog } from '../daemon/helpers';

/**
 * Issue 13 §7: `passwordCommand` ran once per HTTP request (423 runs for a first sync of
 * 10 000 mails). Through the real daemon and EAS watcher: the command runs once for a session
 * of many requests; a 401 makes the next attempt run it again (and only once more).
 */

const PASSWORD = 'session-pw';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('password command per session, through the daemon', () => {
  let server: EasFixtureServer;
  let dir: string;
  let daemon: RunningDaemon | undefined;
  beforeAll(async () => {
    server = await startEasServer({ users: { alice: PASSWORD }, record: 0 });
    dir = mkdtempSync(join(tmpdir(), 'tidings-passcmd-session-'));
  });
  afterAll(async () => {
    await daemon?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs once for the whole sync, once more after a 401, never per request', async () => {
    const runs = join(dir, 'runs');
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, 'wrong-password\n');
    mkdirSync(join(dir, 'cfg'), { mode: 0o700 });
    const configPath = join(dir, 'cfg', 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        notifications: { coalesceMs: 0, sinks: { desktop: { enabled: false } } },
        accounts: [
          {
            id: 'alice',
            kind: 'exchange',
            email: 'alice@example.org',
            username: 'alice',
            url: server.url,
            auth: { type: 'basic', secret: { command: `printf x >> '${runs}'; cat '${pwFile}'` } },
          },
        ],
      }),
      { mode: 0o600 },
    );
    const ipcPath = join(dir, 'run', 'tidings.sock');
    daemon = await startDaemon({
      configPath,
      stateDir: join(dir, 'state'),
      ipcPath,
      log: capturingLog('fatal').log,
      demo: false,
      desktop: false,
      wakeMonitor: false,
    });
    const count = () => readFileSync(runs, 'utf8').length;
    const client = await connect(ipcPath);
    const state = async () => (await client.call('status', {})).accounts[0]?.status.state;

    // Wrong password: 401, needs-credentials, after one run.
    await until(async () => (await state()) === 'needs-credentials', 'needs-credentials');
    expect(count()).toBe(1);

    // The person fixes the password and asks for a check: the command runs again, once.
    writeFileSync(pwFile, `${PASSWORD}\n`);
    await client.call('check', { accountId: 'alice' });
    await until(async () => (await state()) === 'waiting', 'waiting');
    const afterLogin = count();
    expect(afterLogin).toBe(2);

    // Many requests later (a Sync and a Ping per change): still those two runs.
    const got: ChangeSignal[] = [];
    client.onSignal((s) => got.push(s));
    await client.subscribe();
    const added: string[] = [];
    for (let i = 0; i < 30; i++) {
      added.push(server.addMail('alice', { subject: `s ${i}`, from: 'A <a@example.org>' }));
      await sleep(10);
    }
    await until(
      () => new Set(got.flatMap((s) => s.added.map((a) => a.id))).size === added.length,
      'the mails',
    );
    expect(count()).toBe(2);
    client.close();
  }, 60_000);
});
