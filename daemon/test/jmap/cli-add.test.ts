import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type JmapFixture, startJmapFixture } from '../../../fixtures/src/jmap-server';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';

let fx: JmapFixture | undefined;
let dir: string | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv) {
  dir = mkdtempSync(join(tmpdir(), 'tidings-jmap-cli-'));
  mkdirSync(join(dir, 'run'));
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH,
    ...extraEnv,
  };
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(typeof t === 'string' ? t : Buffer.from(t).toString()),
    stderr: (t) => err.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  const file = join(env.XDG_CONFIG_HOME, 'tidings', 'config.json');
  let config: { accounts: Record<string, unknown>[] } | undefined;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    config = undefined;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), config };
}

describe('tidings account add jmap', () => {
  it('tests the session, the mailboxes and the push endpoint, then adds the account', async () => {
    fx = await startJmapFixture();
    const r = await cli(
      ['account', 'add', 'jmap', '--url', fx.url, '--username', 'alice', '--password-env', 'JMAP_PW'],
      { JMAP_PW: 'secret' },
    );
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stderr).toMatch(/ok +session/);
    expect(r.stderr).toMatch(/watching Inbox/);
    expect(r.stderr).toMatch(/EventSource push open/);
    expect(r.config?.accounts).toEqual([
      expect.objectContaining({
        kind: 'jmap',
        id: 'jmap-alice',
        url: fx.url,
        username: 'alice',
        secret: { env: 'JMAP_PW' },
      }),
    ]);
    expect(JSON.stringify(r.config)).not.toContain('"secret":"secret"');
  });

  it("warns when the push endpoint answers 204 (Debian's Cyrus), and still adds", async () => {
    fx = await startJmapFixture({ eventSource: 'no-content' });
    const r = await cli(
      [
        'account',
        'add',
        'jmap',
        '--url',
        fx.url,
        '--username',
        'alice',
        '--password-env',
        'JMAP_PW',
        '--bearer',
      ],
      { JMAP_PW: 'secret' },
    );
    // --bearer sends the secret as a token, which this fixture does not accept: the test fails.
    expect(r.code).toBe(EXIT.CHECK_FAILED);
    expect(r.stderr).toMatch(/FAIL +session/);
    const ok = await cli(
      ['account', 'add', 'jmap', '--url', fx.url, '--username', 'alice', '--password-env', 'JMAP_PW'],
      { JMAP_PW: 'secret' },
    );
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
    expect(ok.stderr).toMatch(/204 No Content/);
  });
});
