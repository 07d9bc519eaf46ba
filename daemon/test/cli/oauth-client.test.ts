import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import { defaultClientId } from '../../src/cli/oauth-client';

/** Issue 16, "Microsoft 365": a distributor's client id built in, and a clear way on without one. */
const ID = '3f1c2a9e-8b7d-4c6e-9a5f-0123456789ab';
const root = mkdtempSync(join(tmpdir(), 'tidings-oauth-client-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function addOauth(env: NodeJS.ProcessEnv, extra: string[] = []) {
  const home = mkdtempSync(join(root, 'home-'));
  const err: string[] = [];
  const out: string[] = [];
  const keyring = new Map<string, string>();
  const io: CliIo = {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => err.push(t),
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), XDG_RUNTIME_DIR: join(home, 'run'), ...env },
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
    hooks: {
      keyring: {
        get: async (s, a) => keyring.get(`${s}/${a}`) ?? null,
        set: async (s, a, v) => void keyring.set(`${s}/${a}`, v),
        delete: async (s, a) => keyring.delete(`${s}/${a}`),
      },
    },
  };
  const code = await runCli(
    ['account', 'add', 'exchange', '--oauth', '--email', 'ann@contoso.example', ...extra],
    io,
  );
  return { code, stderr: err.join(''), stdout: out.join(''), home };
}

describe('the OAuth client id', () => {
  it('without --client-id and none built in, the error points at the registration guide', async () => {
    const r = await addOauth({});
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('--oauth needs --client-id');
    expect(r.stderr).toContain('docs/microsoft-365.md');
  });

  it('the built-in one is used when --client-id is not given, and written to the account', async () => {
    const r = await addOauth({ TIDINGS_OAUTH_CLIENT_ID: ID });
    expect(r.code).toBe(EXIT.OK);
    const config = JSON.parse(readFileSync(join(r.home, 'cfg', 'tidings', 'config.json'), 'utf8'));
    expect(config.accounts[0].auth).toMatchObject({ type: 'oauth2', clientId: ID });
    // --client-id still wins.
    const own = await addOauth({ TIDINGS_OAUTH_CLIENT_ID: ID }, ['--client-id', 'my-own-app']);
    const c2 = JSON.parse(readFileSync(join(own.home, 'cfg', 'tidings', 'config.json'), 'utf8'));
    expect(c2.accounts[0].auth.clientId).toBe('my-own-app');
  });

  it('a malformed one is not used', () => {
    expect(defaultClientId({ TIDINGS_OAUTH_CLIENT_ID: 'not-a-guid' })).toBeUndefined();
    expect(defaultClientId({ TIDINGS_OAUTH_CLIENT_ID: ` ${ID} ` })).toBe(ID);
  });

  it('the bundler pastes it in at build time: the bundle ignores the run-time environment', async () => {
    const bundle = async (id: string) => {
      const r = await build({
        entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'cli', 'oauth-client.ts')],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'node',
        // The same define as scripts/build-daemon.ts.
        define: { __TIDINGS_OAUTH_CLIENT_ID__: JSON.stringify(id) },
        logLevel: 'silent',
      });
      const mod = (await import(
        `data:text/javascript;base64,${Buffer.from(r.outputFiles[0]!.text).toString('base64')}`
      )) as typeof import('../../src/cli/oauth-client');
      return mod.defaultClientId;
    };
    expect((await bundle(ID))({})).toBe(ID);
    // Built without one: the environment at run time does not slip one in.
    expect((await bundle(''))({ TIDINGS_OAUTH_CLIENT_ID: ID })).toBeUndefined();
    expect(
      readFileSync(join(import.meta.dirname, '..', '..', '..', 'scripts', 'build-daemon.ts'), 'utf8'),
    ).toContain('__TIDINGS_OAUTH_CLIENT_ID__: JSON.stringify(oauthClientId())');
  });

  it('account login checks the keyring before the browser opens (issue 16)', async () => {
    const added = await addOauth({ TIDINGS_OAUTH_CLIENT_ID: ID });
    expect(added.code).toBe(EXIT.OK);
    const opened: string[] = [];
    const err: string[] = [];
    const code = await runCli(['account', 'login', 'ann-contoso.example'], {
      stdout: () => {},
      stderr: (t) => err.push(t),
      env: {
        HOME: added.home,
        XDG_CONFIG_HOME: join(added.home, 'cfg'),
        XDG_RUNTIME_DIR: join(added.home, 'run'),
      },
      stdin: async () => new Uint8Array(),
      interrupted: () => new Promise(() => {}),
      hooks: {
        keyring: {
          get: async () => null,
          set: async () => {
            throw new Error("Couldn't access platform storage: AccessDenied");
          },
          delete: async () => false,
        },
        openBrowser: async (url) => void opened.push(url),
      },
    });
    expect(code).toBe(EXIT.FAILURE);
    expect(err.join('')).toContain('no OS keyring is reachable');
    expect(err.join('')).toContain('(CLI_ERR_NO_KEYRING)');
    expect(opened).toEqual([]);
  });
});
