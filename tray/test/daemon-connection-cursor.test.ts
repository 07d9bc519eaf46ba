import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon } from '../../daemon/src/daemon';
import type { ChangeSignal } from '../../daemon/src/signal';
import { capturingLog } from '../../daemon/test/daemon/helpers';
import { DaemonConnection } from '../src/main/daemon-connection';

/**
 * Issue 13 §8, the tray's side: its DaemonConnection opens a new client per attempt, so it
 * carries the cursor itself. Across a daemon restart — mail arriving before, while down, and
 * after — the tray hears of every mail once, under one id per signal.
 */

const PASSWORD = 'tray-cursor-pw';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('tray daemon connection across a daemon restart', () => {
  let server: EasFixtureServer;
  let dir: string;
  let daemon: RunningDaemon | undefined;
  let conn: DaemonConnection | undefined;
  beforeAll(async () => {
    server = await startEasServer({ users: { alice: PASSWORD }, record: 0 });
    dir = mkdtempSync(join(tmpdir(), 'tidings-tray-cursor-'));
  });
  afterAll(async () => {
    conn?.stop();
    await daemon?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes from the last signal it showed: every mail once', async () => {
    mkdirSync(join(dir, 'cfg'), { mode: 0o700 });
    const configPath = join(dir, 'cfg', 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        notifications: { coalesceMs: 200, sinks: { desktop: { enabled: false } } },
        accounts: [
          {
            id: 'alice',
            kind: 'exchange',
            email: 'alice@example.org',
            username: 'alice',
            url: server.url,
            auth: { type: 'basic', secret: { env: 'TRAY_CURSOR_PW' } },
          },
        ],
      }),
      { mode: 0o600 },
    );
    const socketPath = join(dir, 'run', 'tidings.sock');
    const start = () =>
      startDaemon({
        configPath,
        stateDir: join(dir, 'state'),
        ipcPath: socketPath,
        log: capturingLog('fatal').log,
        demo: false,
        desktop: false,
        wakeMonitor: false,
        secrets: { env: { TRAY_CURSOR_PW: PASSWORD } },
      });
    daemon = await start();
    conn = new DaemonConnection({ socketPath, backoff: { baseMs: 50, capMs: 200 } });
    const got: ChangeSignal[] = [];
    conn.onSignal((s) => got.push(s));
    conn.start();
    await until(() => conn?.status?.accounts[0]?.status.state === 'waiting', 'the baseline');

    const added: string[] = [];
    const mails = async (k: number) => {
      for (let i = 0; i < k; i++) {
        added.push(server.addMail('alice', { subject: `tray ${added.length}`, from: 'A <a@example.org>' }));
        await sleep(15);
      }
    };
    const announced = () => new Set(got.flatMap((s) => s.added.map((i) => i.id)));
    await mails(8);
    await until(() => announced().size > 0, 'the first signal');
    await daemon.stop();
    await mails(6); // while the daemon is down: the next life catches up on them
    daemon = await start();
    await mails(6);
    await until(() => added.every((id) => announced().has(id)), 'every mail at the tray').catch(
      (err: Error) => {
        throw new Error(
          `${err.message}: ${added.filter((id) => !announced().has(id)).length} of ${added.length} missing`,
        );
      },
    );
    expect(new Set(got.map((s) => s.id)).size).toBe(got.length);
    const items = got.flatMap((s) => s.added.map((i) => i.id));
    expect(items.sort()).toEqual([...added].sort());
  }, 90_000);
});
