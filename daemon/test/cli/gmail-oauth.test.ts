/**
 * `tidings account add imap --oauth` and `tidings account login` for Gmail (issue 17): Google is
 * picked from the host, the client comes from flags or the environment, and the sign-in is the
 * browser flow (loopback + PKCE) against the fake Google authority; its refresh token goes to
 * the keyring entry the IMAP watcher reads (`<id>:oauth-refresh`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOAuthServer } from '../../../fixtures/src/oauth-server';
import type { CliHooks } from '../../src/cli/command';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import type { KeyringBackend } from '../../src/secrets';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CLIENT = '1234-test.apps.googleusercontent.com';
const SECRET = 'GOCSPX-cli-test';

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

function home() {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-gmail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'cfg', 'tidings'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
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

describe('account add imap --oauth for Gmail', () => {
  it('picks Google from the host and keeps a secret from the environment out of the config', async () => {
    const h = home();
    const keyring = memoryKeyring();
    const r = await cli(
      [
        'account',
        'add',
        'imap',
        '--oauth',
        '--email',
        'me@gmail.com',
        '--host',
        'imap.gmail.com',
        '--client-id',
        CLIENT,
        '--config',
        h.configPath,
        '--socket',
        h.socket,
      ],
      { ...h.env, TIDINGS_GOOGLE_CLIENT_SECRET: SECRET },
      { keyring },
    );
    expect(r.stderr).toContain('Sign in with Google');
    expect(r.code).toBe(EXIT.OK);
    const saved = JSON.parse(readFileSync(h.configPath, 'utf8')) as { accounts: Record<string, unknown>[] };
    expect(saved.accounts[0]).toMatchObject({
      kind: 'imap',
      host: 'imap.gmail.com',
      oauth2: { provider: 'google', clientId: CLIENT },
    });
    expect(JSON.stringify(saved)).not.toContain(SECRET);
  });

  it('without a client anywhere, says where the registration is explained', async () => {
    const h = home();
    const r = await cli(
      [
        'account',
        'add',
        'imap',
        '--oauth',
        '--email',
        'me@gmail.com',
        '--host',
        'imap.gmail.com',
        '--config',
        h.configPath,
        '--socket',
        h.socket,
      ],
      h.env,
      { keyring: memoryKeyring() },
    );
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('--client-id');
    expect(r.stderr).toContain('docs/gmail.md');
  });
});

describe('account add imap for Gmail with a password', () => {
  it('says Gmail takes an app password, or --oauth', async () => {
    const h = home();
    const r = await cli(
      [
        'account',
        'add',
        'imap',
        '--email',
        'me@gmail.com',
        '--host',
        'imap.gmail.com',
        '--password-env',
        'GMAIL_APP_PASSWORD',
        '--no-test',
        '--config',
        h.configPath,
        '--socket',
        h.socket,
      ],
      h.env,
      { keyring: memoryKeyring() },
    );
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toContain('app password');
    expect(r.stderr).toContain('--oauth');
  });
});

describe('account login for a Gmail account', () => {
  async function gmailConfig(extra: Record<string, unknown> = {}) {
    const idp = await startOAuthServer({ flavour: 'google', clientSecret: SECRET });
    cleanups.push(() => idp.close());
    const h = home();
    writeFileSync(
      h.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'gmail',
            kind: 'imap',
            email: 'me@gmail.com',
            host: 'imap.gmail.com',
            username: 'me@gmail.com',
            oauth2: { clientId: idp.idp.clientId, authority: idp.authority, ...extra },
          },
        ],
      }),
    );
    return { idp, h };
  }

  it('signs in through the browser and stores the refresh token where the IMAP watcher reads it', async () => {
    const { idp, h } = await gmailConfig({ clientSecret: SECRET });
    const keyring = memoryKeyring();
    const pages: Promise<{ status: number }>[] = [];
    const r = await cli(
      ['account', 'login', 'gmail', '--config', h.configPath, '--socket', h.socket],
      h.env,
      {
        keyring,
        openBrowser: async (url) => {
          expect(new URL(url).searchParams.get('login_hint')).toBe('me@gmail.com');
          pages.push(idp.browser(url));
        },
      },
    );
    expect(r.stderr).toContain('Opening the browser');
    expect(r.code).toBe(EXIT.OK);
    expect(keyring.entries.get('gmail:oauth-refresh')).toMatch(/^rt-/);
    expect(pages).toHaveLength(1);
    expect((await pages[0]!).status).toBe(200);
  });

  it('takes the client secret from the environment when the config has none', async () => {
    const { idp, h } = await gmailConfig();
    const keyring = memoryKeyring();
    const r = await cli(
      ['account', 'login', 'gmail', '--config', h.configPath, '--socket', h.socket],
      { ...h.env, TIDINGS_GOOGLE_CLIENT_SECRET: SECRET },
      { keyring, openBrowser: async (url) => void idp.browser(url) },
    );
    expect(r.code).toBe(EXIT.OK);
    expect(keyring.entries.get('gmail:oauth-refresh')).toMatch(/^rt-/);
  });

  it('refuses the device code for Google and a missing client secret, before any browser', async () => {
    const { h } = await gmailConfig();
    let opened = 0;
    const hooks: CliHooks = { keyring: memoryKeyring(), openBrowser: async () => void opened++ };
    const device = await cli(
      ['account', 'login', 'gmail', '--device-code', '--config', h.configPath, '--socket', h.socket],
      { ...h.env, TIDINGS_GOOGLE_CLIENT_SECRET: SECRET },
      hooks,
    );
    expect(device.code).toBe(EXIT.USAGE);
    expect(device.stderr).toContain('Google does not allow mail access through the device code');
    const noSecret = await cli(
      ['account', 'login', 'gmail', '--config', h.configPath, '--socket', h.socket],
      h.env,
      hooks,
    );
    expect(noSecret.code).toBe(EXIT.USAGE);
    expect(noSecret.stderr).toContain('TIDINGS_GOOGLE_CLIENT_SECRET');
    expect(opened).toBe(0);
  });
});

describe('account login for a JMAP account with its own OAuth authority', () => {
  it('signs in at the authority with the configured scope and stores the refresh token', async () => {
    const idp = await startOAuthServer();
    cleanups.push(() => idp.close());
    const h = home();
    writeFileSync(
      h.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'jm',
            kind: 'jmap',
            url: 'https://jmap.example.org',
            username: 'me',
            auth: {
              type: 'oauth2',
              clientId: idp.idp.clientId,
              authority: idp.authority,
              scope: 'urn:ietf:params:jmap:mail offline_access',
            },
          },
        ],
      }),
    );
    const keyring = memoryKeyring();
    let scope: string | null = null;
    const r = await cli(['account', 'login', 'jm', '--config', h.configPath, '--socket', h.socket], h.env, {
      keyring,
      openBrowser: async (url) => {
        scope = new URL(url).searchParams.get('scope');
        void idp.browser(url);
      },
    });
    expect(r.code).toBe(EXIT.OK);
    expect(scope).toBe('urn:ietf:params:jmap:mail offline_access');
    expect(keyring.entries.get('jm:oauth-refresh')).toMatch(/^rt-/);
  });
});
