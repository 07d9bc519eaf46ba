/**
 * What the account summary says about signing in (issue 17): a JMAP account with an API token
 * (`auth.type: bearer`) is `token` — it was `basic`, and the tray offered "Re-enter password" —
 * and an IMAP OAuth account names its provider, so the tray offers "Sign in with Google" for Gmail.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { accountAuthKind, accountSchema } from '../../src/config/account';
import { type RunningDaemon, startDaemon, type WatcherFactory } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { Watcher, WatcherStatus } from '../../src/watch/types';
import { capturingLog, daemonDirs } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Watchers that only report a status: the summary is what is under test. */
const quietFactory: WatcherFactory = (account) => {
  const status: WatcherStatus = { state: 'needs-credentials', since: new Date().toISOString() };
  const w: Watcher = {
    accountId: account.id,
    start() {},
    async stop() {},
    status: () => status,
  };
  return w;
};

const accounts = [
  {
    id: 'fm-token',
    kind: 'jmap',
    url: 'https://api.fastmail.com/jmap/session',
    username: 'me',
    auth: { type: 'bearer' },
  },
  { id: 'fm-pass', kind: 'jmap', url: 'https://jmap.example.org', username: 'me' },
  {
    id: 'gmail',
    kind: 'imap',
    host: 'imap.gmail.com',
    username: 'me@gmail.com',
    oauth2: { clientId: 'x.apps.googleusercontent.com' },
  },
  {
    id: 'm365',
    kind: 'imap',
    host: 'outlook.office365.com',
    username: 'me@contoso.com',
    oauth2: { clientId: 'c' },
  },
  { id: 'home', kind: 'imap', host: 'imap.example.org', username: 'me' },
  { id: 'eas', kind: 'exchange', email: 'me@contoso.com', auth: { type: 'oauth2', clientId: 'c' } },
];

describe('how an account signs in, in its summary', () => {
  it('accountAuthKind tells a token from a password and from OAuth', () => {
    const kinds = accounts.map((a) => accountAuthKind(accountSchema().parse(a)));
    expect(kinds).toEqual(['token', 'basic', 'oauth2', 'oauth2', 'basic', 'oauth2']);
  });

  it('the daemon reports token for a JMAP API token and the provider of OAuth accounts', async () => {
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(dirs.configPath, JSON.stringify({ accounts }));
    const d: RunningDaemon = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog().log,
      watcherFactory: quietFactory,
    });
    cleanups.push(() => d.stop());
    const c = await connect(d.ipcPath, { client: 'test' });
    cleanups.push(() => c.close());
    const list = (await c.call('status', {})).accounts;
    const by = Object.fromEntries(list.map((a) => [a.id, [a.auth, a.oauthProvider]]));
    expect(by).toEqual({
      'fm-token': ['token', undefined],
      'fm-pass': ['basic', undefined],
      gmail: ['oauth2', 'google'],
      m365: ['oauth2', 'microsoft'],
      home: ['basic', undefined],
      eas: ['oauth2', 'microsoft'],
    });
  });
});
