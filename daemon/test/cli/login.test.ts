import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEasServer } from '../../../fixtures/src/eas-server';
import { type OAuthServer, startOAuthServer } from '../../../fixtures/src/oauth-server';
import type { CliHooks } from '../../src/cli/command';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { startDaemon } from '../../src/daemon';
import type { KeyringBackend } from '../../src/secrets';
import { capturingLog, until } from '../daemon/helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function memoryKeyring(): KeyringBackend & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (_s, a) => entries.get(a) ?? null,
    set: async (_s, a, v) => {
      entries.set(a, v);
    },
    delete: async (_s, a) => entries.delete(a),
  };
}

function home(): { env: NodeJS.ProcessEnv; configPath: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-login-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'cfg', 'tidings'), { recursive: true });
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'cfg'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: process.env.PATH,
  };
  return { env, configPath: join(dir, 'cfg', 'tidings', 'config.json'), socket: join(dir, 'run', 'd.sock') };
}

async function cli(args: string[], env: NodeJS.ProcessEnv, hooks: CliHooks) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => err.push(t),
    env,
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
    hooks,
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Plays the person's browser: it runs on its own, the sign-in does not wait for it. */
function browserOf(oauth: OAuthServer) {
  const visits: Promise<{ status: number; text: string }>[] = [];
  return {
    visits,
    open: async (url: string) => {
      visits.push(oauth.browser(url));
    },
  };
}

describe('tidings account add --oauth / account login', () => {
  it('adds an oauth2 account, signs in through the browser, stores the token and the daemon connects', async () => {
    const oauth = await startOAuthServer();
    cleanups.push(() => oauth.close());
    const eas = await startEasServer({
      pingTimeScale: 5,
      tokens: (t) => (oauth.idp.isValidAccessToken(t) ? 'alice' : undefined),
    });
    cleanups.push(() => eas.close());
    const h = home();
    const cliKeyring = memoryKeyring();
    const daemonKeyring = memoryKeyring();
    const browser = browserOf(oauth);
    const hooks: CliHooks = { keyring: cliKeyring, openBrowser: browser.open };

    // No daemon yet: the CLI writes the file itself.
    const added = await cli(
      [
        'account',
        'add',
        'exchange',
        '--oauth',
        '--email',
        'alice@example.com',
        '--client-id',
        oauth.idp.clientId,
        '--tenant',
        'contoso.example',
        '--url',
        eas.url,
        '--id',
        'work',
        '--config',
        h.configPath,
      ],
      h.env,
      hooks,
    );
    expect(added.code).toBe(EXIT.OK);
    expect(added.stderr).toContain('tidings account login work');
    const file = JSON.parse(readFileSync(h.configPath, 'utf8'));
    expect(file.accounts[0]).toMatchObject({
      id: 'work',
      auth: { type: 'oauth2', clientId: oauth.idp.clientId, tenant: 'contoso.example' },
    });
    // The test points the account at the fixture authority (as the schema's override allows).
    file.accounts[0].auth.authority = oauth.authority;
    writeFileSync(h.configPath, JSON.stringify(file));

    const d = await startDaemon({
      configPath: h.configPath,
      stateDir: join(h.env.XDG_STATE_HOME!, 'tidings'),
      ipcPath: h.socket,
      log: capturingLog('fatal').log,
      desktop: false,
      secrets: { keyring: daemonKeyring },
    });
    cleanups.push(() => d.stop());
    await until(() => d.status().accounts[0]?.status.state === 'needs-credentials', 'needs-credentials');

    const r = await cli(
      ['account', 'login', 'work', '--config', h.configPath, '--socket', h.socket],
      h.env,
      hooks,
    );
    expect(r.stderr).toContain('/authorize?');
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain('signed in work; daemon: restarted the account');
    expect(browser.visits).toHaveLength(1);
    expect((await browser.visits[0]!).status).toBe(200);
    expect(oauth.idp.counts.authorizationCode).toBe(1);
    expect(cliKeyring.entries.get('work:oauth-refresh')).toMatch(/^rt-/);
    expect(daemonKeyring.entries.get('work:oauth-refresh')).toMatch(/^rt-/);
    await until(() => d.status().accounts[0]?.status.state === 'waiting', 'account waiting after login');
  });

  it('--device-code prints the code and URL, and stores the token when the person approves', async () => {
    const oauth = await startOAuthServer({ deviceInterval: 1 });
    cleanups.push(() => oauth.close());
    oauth.idp.deviceScript = [];
    const h = home();
    writeFileSync(
      h.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'work',
            kind: 'exchange',
            email: 'alice@example.com',
            url: 'https://eas.example.com/Microsoft-Server-ActiveSync',
            auth: { type: 'oauth2', clientId: oauth.idp.clientId, authority: oauth.authority },
          },
        ],
      }),
    );
    const keyring = memoryKeyring();
    const err: string[] = [];
    let approved = 0;
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => err.push(t),
      env: h.env,
      stdin: async () => new Uint8Array(),
      interrupted: () => new Promise(() => {}),
      hooks: {
        keyring,
        // The person reads the printed code and approves it before the next poll.
        sleep: async () => {
          const code = /enter the code ([A-Z0-9-]+)/i.exec(err.join(''))?.[1];
          if (code) {
            oauth.idp.decideDevice(code, 'approved');
            approved += 1;
          }
        },
      },
    };
    const code = await runCli(
      ['account', 'login', 'work', '--device-code', '--config', h.configPath, '--socket', h.socket],
      io,
    );
    expect(err.join('')).toMatch(/devicelogin/);
    expect(code).toBe(EXIT.OK);
    expect(approved).toBeGreaterThan(0);
    expect(keyring.entries.get('work:oauth-refresh')).toMatch(/^rt-/);
    expect(err.join('')).not.toContain(keyring.entries.get('work:oauth-refresh'));
  });

  it('refuses a basic account with a fix', async () => {
    const h = home();
    writeFileSync(
      h.configPath,
      JSON.stringify({
        accounts: [{ id: 'plain', kind: 'exchange', email: 'a@example.com', url: 'https://x.example.com/' }],
      }),
    );
    const r = await cli(['account', 'login', 'plain', '--config', h.configPath], h.env, {
      keyring: memoryKeyring(),
    });
    expect(r.code).not.toBe(EXIT.OK);
    expect(r.stderr).toContain('does not use OAuth2');
    expect(r.stderr).toContain('CLI_ERR_BAD_VALUE');
  });
});
