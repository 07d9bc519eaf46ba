import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { aliceEasAccount, capturingLog, sleep, until, useEasDaemonRig, writeConfig } from '../daemon/helpers';

/**
 * Issue 13 §8: `tidings watch` exited with IPC_ERR_CLOSED when the daemon restarted, and a watch
 * started by hand missed the catch-up. Here the daemon restarts twice while mail keeps coming;
 * one `watch --json` runs throughout and must print every mail exactly once, under one id per
 * signal, and never exit until interrupted. A second client joins late with the first one's
 * cursor (`--after`) and gets exactly what followed it.
 */

/** A daemon's start and sync on a loaded 2-core machine: a generous poll deadline. */
const LOADED_MS = 30_000;
const PASSWORD = 'watch-restart-pw';

describe('watch across daemon restarts', () => {
  const rig = useEasDaemonRig('watch-restart', PASSWORD);

  it('reconnects, resumes from its last id, and prints every mail exactly once', async () => {
    const { configPath, dir, ipcPath, server } = rig;
    writeConfig(configPath, {
      notifications: { coalesceMs: 300, sinks: { desktop: { enabled: false } } },
      accounts: [aliceEasAccount(server.url, { env: 'WATCH_RESTART_PW' })],
    });
    const env = { HOME: dir, PATH: process.env.PATH, WATCH_RESTART_PW: PASSWORD };
    let log = capturingLog('debug');
    const start = () => {
      log = capturingLog('debug');
      return startDaemon({
        configPath,
        stateDir: join(dir, 'state'),
        ipcPath,
        log: log.log,
        logLevelOverride: true, // keep debug: the "client subscribed" line says the watch is in
        demo: false,
        desktop: false,
        wakeMonitor: false,
        secrets: { env },
      });
    };
    rig.daemon = await start();
    const waiting = async () => {
      const c = await connect(ipcPath).catch(() => undefined);
      if (!c) return false;
      const s = await c.call('status', {}).finally(() => c.close());
      return s.accounts[0]?.status.state === 'waiting';
    };
    await until(waiting, 'the baseline', LOADED_MS);

    const lines: string[] = [];
    let interrupt!: () => void;
    const interrupted = new Promise<void>((r) => {
      interrupt = r;
    });
    let exited: number | undefined;
    const watching = runCli(['watch', '--json', '--socket', ipcPath], {
      stdout: (t) => lines.push(...String(t).split('\n').filter(Boolean)),
      stderr: () => {},
      env,
      stdin: async () => new Uint8Array(),
      interrupted: () => interrupted,
    }).then((code) => {
      exited = code;
      return code;
    });

    const subscribed = () =>
      log.lines.some((l) => l.includes('client subscribed') && l.includes('cli-watch'));
    await until(subscribed, 'the watch to subscribe', LOADED_MS);

    const added: string[] = [];
    const signals = () => lines.map((l) => JSON.parse(l) as ChangeSignal);
    const announced = () => new Set(signals().flatMap((s) => s.added.map((i) => i.id)));
    const mails = async (k: number) => {
      for (let i = 0; i < k; i++) {
        added.push(
          server.addMail('alice', { subject: `restart ${added.length}`, from: 'A <a@example.org>' }),
        );
        await sleep(15);
      }
    };

    for (let life = 0; life < 2; life++) {
      await mails(10);
      // Restart mid-stream: some of these are still in a coalesce window or not yet synced.
      await rig.daemon.stop();
      expect(exited).toBeUndefined(); // the watch waits for the daemon instead of exiting
      await mails(5); // arrive while no daemon runs: the next life catches up on them
      rig.daemon = await start();
    }
    await mails(5);
    await until(() => added.every((id) => announced().has(id)), 'every mail to be printed', LOADED_MS).catch(
      (err) => {
        throw new Error(
          `${err.message}: ${added.filter((id) => !announced().has(id)).length} of ${added.length} missing`,
        );
      },
    );
    expect(exited).toBeUndefined();

    // Exactly once: no signal id twice, no item in two signals.
    const got = signals();
    expect(new Set(got.map((s) => s.id)).size).toBe(got.length);
    const items = got.flatMap((s) => s.added.map((i) => i.id));
    expect(items.sort()).toEqual([...added].sort());

    // A second watcher resuming from the first one's cursor gets exactly what followed it.
    const cut = Math.floor(got.length / 2);
    const late: ChangeSignal[] = [];
    const client = await connect(ipcPath, { client: 'late' });
    client.onSignal((s) => late.push(s));
    await client.subscribe(false, got[cut - 1]?.id);
    client.close();
    expect(late.map((s) => s.id)).toEqual(got.slice(cut).map((s) => s.id));

    interrupt();
    expect(await watching).toBe(EXIT.OK);
  }, 120_000);
});
