/**
 * `tidings account login` for an IMAP account with `oauth2` (issue 17: Gmail / Microsoft 365 IMAP
 * over XOAUTH2/OAUTHBEARER): the same device-code sign-in as Exchange (oauth/), the refresh
 * token in the keyring under `<id>:oauth-refresh`, which is where the IMAP watcher's token
 * provider reads it (secrets/index.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOAuthServer } from '../../../fixtures/src/oauth-server';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { accountSchema } from '../../src/config/account';
import { type KeyringBackend, secretForAccount } from '../../src/secrets';

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

describe('account login for an IMAP OAuth2 account', () => {
  it('signs in with the device code and stores the refresh token where the IMAP watcher reads it', async () => {
    const oauth = await startOAuthServer({ deviceInterval: 1 });
    cleanups.push(() => oauth.close());
    oauth.idp.deviceScript = [];
    const dir = mkdtempSync(join(tmpdir(), 'tidings-imap-login-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'run'));
    mkdirSync(join(dir, 'cfg', 'tidings'), { recursive: true });
    const configPath = join(dir, 'cfg', 'tidings', 'config.json');
    const entry = {
      id: 'm365-imap',
      kind: 'imap',
      email: 'alice@example.com',
      host: 'outlook.office365.com',
      username: 'alice@example.com',
      oauth2: { clientId: oauth.idp.clientId, authority: oauth.authority },
    };
    writeFileSync(configPath, JSON.stringify({ accounts: [entry] }));
    const keyring = memoryKeyring();
    const err: string[] = [];
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => err.push(t),
      env: {
        HOME: dir,
        XDG_CONFIG_HOME: join(dir, 'cfg'),
        XDG_STATE_HOME: join(dir, 'state'),
        XDG_RUNTIME_DIR: join(dir, 'run'),
        PATH: process.env.PATH,
      },
      stdin: async () => new Uint8Array(),
      interrupted: () => new Promise(() => {}),
      hooks: {
        keyring,
        sleep: async () => {
          const code = /enter the code ([A-Z0-9-]+)/i.exec(err.join(''))?.[1];
          if (code) oauth.idp.decideDevice(code, 'approved');
        },
      },
    };
    const code = await runCli(
      [
        'account',
        'login',
        'm365-imap',
        '--device-code',
        '--config',
        configPath,
        '--socket',
        join(dir, 'run', 'd.sock'),
      ],
      io,
    );
    expect(code).toBe(EXIT.OK);
    const token = keyring.entries.get('m365-imap:oauth-refresh');
    expect(token).toMatch(/^rt-/);
    const account = accountSchema().parse(entry);
    await expect(secretForAccount(account, { keyring }).get()).resolves.toBe(token);
  });
});
