import { writeFileSync } from 'node:fs';
import { startEasServer } from '@tidings/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import { capturingLog, daemonDirs, until } from '../daemon/helpers';

const SECRET = 'S3cr3t-Leak-Canary-4b9e2a';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('no secret in logs, status answers or error messages', () => {
  it('greps everything the daemon says while secrets are wrong, failing or refused', async () => {
    const server = await startEasServer({ users: { alice: 'the-right-password' } });
    cleanups.push(() => server.close());
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        logLevel: 'trace',
        accounts: [
          // Wrong password from the environment: the server answers 401.
          {
            id: 'wrong',
            kind: 'exchange',
            email: 'alice@example.org',
            username: 'alice',
            url: server.url,
            auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_PW' } },
          },
          // A password command that echoes the secret on stderr and fails.
          {
            id: 'cmd',
            kind: 'caldav',
            url: 'http://127.0.0.1:9/',
            username: 'u',
            secret: { command: `echo ${SECRET} >&2; exit 1` },
          },
        ],
      }),
    );
    const { log, lines } = capturingLog('trace');
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log,
      logLevelOverride: true,
      secrets: { env: { TIDINGS_TEST_PW: SECRET } },
    });
    cleanups.push(() => d.stop());
    const c = await connect(d.ipcPath, { client: 'test' });
    cleanups.push(() => c.close());
    await until(
      () =>
        d
          .status()
          .accounts.every((a) => a.status.lastError !== undefined || a.status.state === 'needs-credentials'),
      'both accounts to fail',
    );
    const answers: unknown[] = [];
    answers.push(await c.call('status', {}));
    answers.push(await c.call('accounts.list', {}));
    // The secret travels to the daemon in these calls; the refusals must not echo it.
    for (const call of [
      () => c.call('accounts.setSecret', { id: 'cmd', secret: SECRET }),
      () => c.call('accounts.setSecret', { id: 'nope', secret: SECRET }),
      () =>
        c.call('accounts.add', {
          account: {
            id: 'x',
            kind: 'exchange',
            email: 'x@example.org',
            enabled: true,
            auth: { type: 'basic', secret: { keyring: true } },
          },
          secret: SECRET,
        }),
      () => c.call('accounts.test', { id: 'wrong', secret: SECRET }),
    ]) {
      const err = await call().then(
        () => new Error('expected a refusal'),
        (e: unknown) => e as Error,
      );
      answers.push({ message: err.message, data: (err as { data?: unknown }).data });
    }
    const said = [...lines, ...answers.map((a) => JSON.stringify(a))].join('\n');
    expect(lines.length).toBeGreaterThan(5); // trace logging really ran
    expect(said).toContain('needs-credentials'); // the failure is reported…
    expect(said).not.toContain(SECRET); // …without the secret
    expect(said).not.toContain(Buffer.from(`alice:${SECRET}`).toString('base64')); // nor the Basic header
  });
});
