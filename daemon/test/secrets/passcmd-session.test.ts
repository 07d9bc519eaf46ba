import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { aliceEasAccount, capturingLog, sleep, until, useEasDaemonRig, writeConfig } from '../daemon/helpers';

/**
 * Issue 13 §7: `passwordCommand` ran once per HTTP request (423 runs for a first sync of
 * 10 000 mails). Through the real daemon and EAS watcher: the command runs once for a session
 * of many requests; a 401 makes the next attempt run it again (and only once more).
 */

/** A daemon's start and sync on a loaded 2-core machine: a generous poll deadline. */
const LOADED_MS = 30_000;
const PASSWORD = 'session-pw';

describe('password command per session, through the daemon', () => {
  const rig = useEasDaemonRig('passcmd-session', PASSWORD);

  it('runs once for the whole sync, once more after a 401, never per request', async () => {
    const { configPath, dir, ipcPath, server } = rig;
    const runs = join(dir, 'runs');
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, 'wrong-password\n');
    writeConfig(configPath, {
      notifications: { coalesceMs: 0, sinks: { desktop: { enabled: false } } },
      accounts: [aliceEasAccount(server.url, { command: `printf x >> '${runs}'; cat '${pwFile}'` })],
    });
    rig.daemon = await startDaemon({
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
    await until(async () => (await state()) === 'needs-credentials', 'needs-credentials', LOADED_MS);
    expect(count()).toBe(1);

    // The person fixes the password and asks for a check: the command runs again, once.
    writeFileSync(pwFile, `${PASSWORD}\n`);
    await client.call('check', { accountId: 'alice' });
    await until(async () => (await state()) === 'waiting', 'waiting', LOADED_MS);
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
      LOADED_MS,
    );
    expect(count()).toBe(2);
    client.close();
  }, 60_000);
});
