import { writeFileSync } from 'node:fs';
import { startEasServer } from '@tidings/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { ChangeSignal } from '../../src/signal';
import { capturingLog, daemonDirs, until } from '../daemon/helpers';

/** Issue 16: `items.markRead` through the daemon's IPC, the way the tray's notification calls it. */

async function cli(args: string[], home: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(typeof t === 'string' ? t : Buffer.from(t).toString()),
    stderr: (t) => err.push(t),
    env: { HOME: home, PATH: process.env.PATH },
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('items.markRead through the daemon', () => {
  it('marks the notified mail read on the server; the signal came once and nothing follows the marking', async () => {
    const eas = await startEasServer({ pingTimeScale: 1000 });
    cleanups.push(() => eas.close());
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'work',
            kind: 'exchange',
            email: 'alice@example.com',
            username: 'alice',
            url: eas.url,
            auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_EAS_SECRET' } },
          },
          {
            id: 'cal',
            kind: 'caldav',
            url: 'http://127.0.0.1:9/',
            username: 'u',
            secret: { env: 'TIDINGS_TEST_EAS_SECRET' },
            enabled: false,
          },
        ],
      }),
    );
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      desktop: false,
      wakeMonitor: false,
      secrets: { env: { TIDINGS_TEST_EAS_SECRET: 'alice-password' } },
    });
    cleanups.push(() => d.stop());
    const work = () => d.status().accounts.find((a) => a.id === 'work')!;
    await until(() => work().status.state === 'waiting', 'the account waiting');

    const c = await connect(d.ipcPath, { client: 'test' });
    cleanups.push(() => c.close());
    const signals: ChangeSignal[] = [];
    c.onSignal((s) => signals.push(s));
    await c.subscribe();
    const id = eas.addMail('alice', { subject: 'Click me', from: 'Bob <bob@example.org>' });
    await until(() => signals.length > 0, 'the mail signal');
    const s = signals[0]!;
    expect(s.added.map((i) => i.id)).toEqual([id]);
    await until(() => work().status.state === 'waiting', 'the Ping again');

    // What the tray sends from the notification's "Mark as read".
    const r = await c.call('items.markRead', {
      accountId: s.accountId,
      folderId: s.folder.id,
      itemIds: [id],
    });
    expect(r).toEqual({ marked: [id], failed: [] });
    expect(eas.getItem('alice', id)?.data).toMatchObject({ read: true });

    // Errors keep their codes across the wire.
    const missing = await c
      .call('items.markRead', { accountId: 'work', folderId: '2', itemIds: ['2:404'] })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ rpcCode: -32006, data: { code: 'EAS_ERR_NO_SUCH_ITEM' } });
    const nobody = await c
      .call('items.markRead', { accountId: 'nope', folderId: '2', itemIds: [id] })
      .catch((e: unknown) => e);
    expect(nobody).toMatchObject({ rpcCode: -32003 });
    const disabled = await c
      .call('items.markRead', { accountId: 'cal', folderId: 'x', itemIds: ['y'] })
      .catch((e: unknown) => e);
    expect(disabled).toMatchObject({ rpcCode: -32006 });
    expect((disabled as Error).message).toContain('not running');
    const empty = await c
      .call('items.markRead', { accountId: 'work', folderId: '2', itemIds: [] })
      .catch((e: unknown) => e);
    expect(empty).toMatchObject({ rpcCode: -32602 });

    // A later mail arrives exactly once: the key chain survived the marking.
    const next = eas.addMail('alice', { subject: 'Later', from: 'Carol <carol@example.org>' });
    await until(() => signals.length > 1, 'the next signal');
    expect(signals.flatMap((x) => x.added.map((i) => i.id))).toEqual([id, next]);

    // The CLI verb, for hooks and scripts: the same call by the ids a signal carries.
    const byCli = await cli(['--socket', dirs.ipcPath, 'mark-read', 'work', '2', next, '--json'], dirs.root);
    expect(byCli.stderr).toBe('');
    expect(byCli.code).toBe(EXIT.OK);
    expect(JSON.parse(byCli.stdout)).toEqual({ marked: [next], failed: [] });
    expect(eas.getItem('alice', next)?.data).toMatchObject({ read: true });
    const missing2 = await cli(['--socket', dirs.ipcPath, 'mark-read', 'work', '2'], dirs.root);
    expect(missing2.code).toBe(EXIT.USAGE);
    expect(missing2.stderr).toContain('tidings mark-read <account> <folder> <item>');
    const gone = await cli(['--socket', dirs.ipcPath, 'mark-read', 'work', '2', '2:404'], dirs.root);
    expect(gone.code).toBe(EXIT.FAILURE);
    expect(gone.stderr).toContain('EAS_ERR_NO_SUCH_ITEM');
    expect(signals).toHaveLength(2);
  });
});
