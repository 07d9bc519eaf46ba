import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ImapError } from '../../daemon/src/imap/errors';
import { discoverImap } from '../../daemon/src/imap/discovery';
import { probeImap } from '../../daemon/src/imap/probe';
import { createHandlers, type HandlerDeps } from '../src/main/handlers';

/** Handlers with no daemon behind them: discovery never calls the daemon. */
function handlers(discover: HandlerDeps['discoverImap']) {
  const unused = () => Promise.reject(new Error('not used'));
  return createHandlers({
    daemon: { call: unused },
    notifications: {} as HandlerDeps['notifications'],
    oauthSignIn: unused,
    ...(discover ? { discoverImap: discover } : {}),
  });
}

describe('IMAP server discovery for the add form (issue 17)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('finds a server through its SRV record and checks its greeting (the daemon discovery code)', async () => {
    // A plain-text IMAP greeting on 127.0.0.1: the `_imap._tcp` (STARTTLS) candidate.
    server = createServer((s) => s.end('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const asked: string[] = [];
    const resolver = {
      resolveSrv: async (name: string) => {
        asked.push(name);
        return name === '_imap._tcp.example.org'
          ? [{ name: '127.0.0.1.', port, priority: 0, weight: 0 }]
          : [];
      },
    };
    const h = handlers((email) => discoverImap(email, (c) => probeImap(c, { timeoutMs: 20_000 }), resolver));
    const r = await h['tidings:accounts.discoverImap'](' me@example.org ');
    expect(r).toEqual({
      ok: true,
      value: { host: '127.0.0.1', port, security: 'starttls', via: 'SRV _imap._tcp.example.org' },
    });
    expect(asked).toEqual(['_imaps._tcp.example.org', '_imap._tcp.example.org']);
  });

  it('answers TRAY_ERR_DISCOVERY on the host field with what was tried when nothing answers', async () => {
    const h = handlers(async (email) => {
      throw new ImapError('IMAP_ERR_DISCOVERY', `No IMAP server found for ${email}; tried imap.x.test:993`);
    });
    const r = await h['tidings:accounts.discoverImap']('me@x.test');
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'TRAY_ERR_DISCOVERY',
        message: 'No IMAP server found for me@x.test; tried imap.x.test:993',
        field: 'host',
      },
    });
  });

  it('refuses something that is not an address before looking anything up', async () => {
    let called = false;
    const h = handlers(async () => {
      called = true;
      throw new Error('must not run');
    });
    for (const bad of ['', 'no-at-sign', 'a@b@c', 42 as unknown as string]) {
      const r = await h['tidings:accounts.discoverImap'](bad);
      expect(r).toMatchObject({ ok: false, error: { code: 'TRAY_ERR_INVALID_INPUT', field: 'email' } });
    }
    expect(called).toBe(false);
  });
});
