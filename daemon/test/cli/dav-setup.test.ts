import { type DavFixture, startDavFixture } from '../../../fixtures/src/dav-server';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
afterAll(async () => {
  await dispatcher.close();
  await fx.close();
});

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
