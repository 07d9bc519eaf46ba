import { type DavFixture, startDavFixture } from '../../../fixtures/src/dav-server';
import { Agent } from 'undici';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors';
import { type CliIo, runCli } from '../../src/cli/main';
import type { DavAccount } from '../../src/config/account';
import { davSetupSteps, davUrlProblem } from '../../src/diagnose/dav-setup';

/**
 * Issue 16, "Discovery checked at set-up": `account add caldav|carddav`, `account test` and
 * `doctor` run RFC 6764 discovery and list what they found, against the DAV fixture server.
 */
let fx: DavFixture;
let dispatcher: Agent;
beforeAll(async () => {
  fx = await startDavFixture();
  fx.data.addCollection('/cal/alice/personal/', 'calendar', 'Personal Calendar');
  fx.data.addCollection('/cal/alice/personal-tasks/', 'tasks', 'Personal Calendar');
  fx.data.addCollection('/cal/alice/team/', 'calendar', 'Team', { owner: '/principals/bob/' });
  fx.data.addCollection('/card/alice/contacts/', 'contacts', 'Contacts');
  dispatcher = new Agent();
});
const root = mkdtempSync(join(tmpdir(), 'tidings-dav-setup-'));
afterAll(async () => {
  await dispatcher.close();
  await fx.close();
  rmSync(root, { recursive: true, force: true });
});

/** `tidings …` in-process, no daemon running, the password in DAV_PW. */
async function cli(args: string[], home = mkdtempSync(join(root, 'home-'))) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(String(t)),
    stderr: (t) => err.push(t),
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      XDG_STATE_HOME: join(home, 'state'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      DAV_PW: 'secret',
    },
    stdin: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join(''), home };
}
const configOf = (home: string) => join(home, 'cfg', 'tidings', 'config.json');

const account = (over: Partial<DavAccount> = {}): DavAccount =>
  ({ kind: 'caldav', id: 'a', url: fx.url, username: 'alice', secret: { env: 'X' }, ...over }) as DavAccount;
const secret = (pw = 'secret') => ({ get: async () => pw });
const opts = () => ({ dispatcher, timeoutMs: 10_000 });

describe('discovery at set-up', () => {
  it('finds the home from the server URL and lists every calendar and task list, as DAVx5 does', async () => {
    const steps = await davSetupSteps(account(), secret(), opts());
    expect(steps.map((s) => [s.name, s.ok])).toEqual([
      ['discovery', true],
      ['collections', true],
    ]);
    expect(steps[0]!.note).toContain(`found home ${fx.url}/cal/alice/`);
    const note = steps[1]!.note;
    expect(note).toContain('watching 2 of 3:');
    // Two collections share a name: the texts tell them apart.
    expect(note).toContain('    + Personal Calendar (calendar)');
    expect(note).toContain('    + Personal Calendar (tasks)');
    expect(note).toContain('    - Team — shared with you; name it in "collections" to watch it');
    // Discovery went the RFC 6764 way: well-known, then the principal.
    expect(fx.requests.some((r) => r.path === '/principals/alice/')).toBe(true);
  });

  it('lists address books for carddav', async () => {
    const steps = await davSetupSteps(account({ kind: 'carddav' }), secret(), opts());
    expect(steps.at(-1)).toMatchObject({ name: 'collections', ok: true });
    expect(steps.at(-1)!.note).toBe('watching 1 of 1:\n    + Contacts');
  });

  it('a wrong password fails as auth, with the user named in the fix', async () => {
    const steps = await davSetupSteps(account(), secret('wrong'), opts());
    expect(steps).toEqual([
      expect.objectContaining({
        name: 'auth',
        ok: false,
        note: expect.stringContaining('DAV_ERR_UNAUTHORIZED'),
        fix: expect.stringContaining('"alice"'),
      }),
    ]);
  });

  it('refuses what cannot work: an ftp:// URL, a word, a server with nothing found', async () => {
    const ftp = await davSetupSteps(account({ url: 'ftp://dav.example.org/' }), secret(), opts());
    expect(ftp).toEqual([
      expect.objectContaining({
        name: 'discovery',
        ok: false,
        note: expect.stringContaining('is a ftp: URL'),
      }),
    ]);
    expect(davUrlProblem('calendar', 'caldav')).toContain('neither an http(s) URL nor an e-mail address');
    expect(davUrlProblem('alice@example.org', 'caldav')).toBeUndefined();
    expect(davUrlProblem('https://dav.example.org/', 'carddav')).toBeUndefined();

    // A server that answers but is no DAV server: nothing found, and the fix says what to give.
    const hook = (r: { path: string }) =>
      r.path === '/nothing/' || r.path.startsWith('/.well-known/') ? { status: 404 } : undefined;
    fx.faults.push(hook);
    try {
      const none = await davSetupSteps(account({ url: `${fx.url}/nothing/` }), secret(), opts());
      expect(none).toEqual([
        expect.objectContaining({
          name: 'discovery',
          ok: false,
          note: expect.stringContaining('DAV_ERR_DISCOVERY'),
          fix: expect.stringContaining('CalDAV home'),
        }),
      ]);
    } finally {
      fx.faults.splice(fx.faults.indexOf(hook), 1);
    }
  });

  it('an e-mail address is discovered by RFC 6764 (SRV, then the well-known URI), and says what it tried', async () => {
    const asked: string[] = [];
    const dns = {
      resolveSrv: async (name: string) => {
        asked.push(name);
        return [];
      },
      resolveTxt: async () => [],
    };
    const steps = await davSetupSteps(account({ url: 'alice@nowhere.invalid' }), secret(), {
      ...opts(),
      timeoutMs: 5_000,
      dns,
    });
    expect(asked).toEqual(['_caldavs._tcp.nowhere.invalid']);
    expect(steps).toEqual([
      expect.objectContaining({
        name: 'discovery',
        ok: false,
        note: expect.stringContaining('https://nowhere.invalid/.well-known/caldav'),
      }),
    ]);
  });

  it('a URL naming one calendar watches just it', async () => {
    const steps = await davSetupSteps(
      account({ url: `${fx.url}/cal/alice/personal-tasks/` }),
      secret(),
      opts(),
    );
    expect(steps[0]!.note).toContain('found the collection /cal/alice/personal-tasks/');
    expect(steps[1]!.note).toContain('    + Personal Calendar (tasks)');
    expect(steps[1]!.note).toContain('    - Personal Calendar (calendar) — the URL names another collection');
  });
});

describe('account add, account test and doctor run the discovery', () => {
  it('account add lists what it found and adds; test and doctor show the same', async () => {
    const add = await cli([
      'account',
      'add',
      'caldav',
      '--url',
      fx.url,
      '--username',
      'alice',
      '--password-env',
      'DAV_PW',
    ]);
    expect(add.code).toBe(EXIT.OK);
    expect(add.stderr).toContain('ok    discovery');
    expect(add.stderr).toContain('+ Personal Calendar (tasks)');
    expect(JSON.parse(readFileSync(configOf(add.home), 'utf8')).accounts[0]).toMatchObject({
      kind: 'caldav',
      url: fx.url,
    });
    const test = await cli(['account', 'test', 'caldav-alice'], add.home);
    expect(test.code).toBe(EXIT.OK);
    expect(test.stdout).toContain('+ Personal Calendar (calendar)');
    const doctor = await cli(['doctor', '--json'], add.home);
    const steps = JSON.parse(doctor.stdout).accounts[0].result.steps.map((s: { name: string }) => s.name);
    expect(steps).toEqual(['dns', 'tls', 'discovery', 'collections']);
  });

  it('refuses an ftp:// URL before asking or trying anything, even with --no-test', async () => {
    const r = await cli([
      'account',
      'add',
      'caldav',
      '--url',
      'ftp://dav.example.org/',
      '--username',
      'alice',
      '--password-env',
      'DAV_PW',
      '--no-test',
    ]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('--url: "ftp://dav.example.org/" is a ftp: URL');
    expect(existsSync(configOf(r.home))).toBe(false);
  });

  it('an address with nothing to discover is not added (it was, with "ok discovery")', async () => {
    const r = await cli([
      'account',
      'add',
      'carddav',
      '--url',
      'alice@nowhere.invalid',
      '--username',
      'alice',
      '--password-env',
      'DAV_PW',
    ]);
    expect(r.code).toBe(EXIT.CHECK_FAILED);
    expect(r.stderr).toContain('FAIL  discovery');
    expect(r.stderr).toContain('https://nowhere.invalid/.well-known/carddav');
    expect(r.stdout).toContain('not added');
    expect(existsSync(configOf(r.home))).toBe(false);
  });
});

describe('TLS to an IP address (issue 16: DEP0123)', () => {
  it('checks the certificate without Node warning about an IP as TLS server name', async () => {
    const { generateTestTls } = await import('../../../fixtures/src/autodiscover-server');
    const { createServer } = await import('node:https');
    const { writeFileSync } = await import('node:fs');
    const { testAccount } = await import('../../src/diagnose/checks');
    const pino = (await import('pino')).default;
    const tls = await generateTestTls(['dav.example.org']);
    const server = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
      res.writeHead(401);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const ca = join(root, 'ca.pem');
    writeFileSync(ca, tls.ca);
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code ?? ''} ${w.message}`);
    process.on('warning', onWarning);
    try {
      const r = await testAccount(
        account({ url: `https://127.0.0.1:${port}/`, tls: { ca } } as Partial<DavAccount>),
        secret(),
        pino({ level: 'silent' }),
        { timeoutMs: 10_000 },
      );
      // The certificate names 127.0.0.1 and is trusted; the server then refuses the password.
      expect(r.steps.map((s) => [s.name, s.ok])).toEqual([
        ['dns', true],
        ['tls', true],
        ['auth', false],
      ]);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('DEP0123'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await new Promise((r) => server.close(r));
    }
  });
});
