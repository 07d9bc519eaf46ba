import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EasFixtureServer, startEasServer } from '@tidings/fixtures';
import { Agent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { EasHttp } from '../../src/eas/transport';
import { createDispatcher } from '../../src/net/dispatcher';
import { harness, pingParked, waitFor } from './harness';

let server: EasFixtureServer | undefined;
let dispatcher: Dispatcher | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await server?.close();
  await dispatcher?.close();
  server = undefined;
  dispatcher = undefined;
  for (const c of cleanups.splice(0)) await c();
});

function http(
  s: EasFixtureServer,
  d: Dispatcher,
  extra: Partial<ConstructorParameters<typeof EasHttp>[0]> = {},
) {
  return new EasHttp({
    url: s.url,
    user: 'alice',
    deviceId: 'TDG0123456789',
    auth: { kind: 'basic', username: 'alice', password: async () => 'alice-password' },
    dispatcher: d,
    ...extra,
  });
}

describe('EasHttp (MS-ASHTTP 2.2.1)', () => {
  it('plain query form, EAS headers, DeviceType Tidings, a User-Agent that names us', async () => {
    server = await startEasServer();
    dispatcher = new Agent();
    const seen: Record<string, unknown>[] = [];
    server.handlers['*'] = (req, next) => {
      seen.push({ ...req.headers, deviceType: req.deviceType, deviceId: req.deviceId, user: req.user });
      return next();
    };
    await http(server, dispatcher).post('FolderSync', undefined, { version: '14.1', policyKey: '77' });
    expect(seen[0]).toMatchObject({
      'ms-asprotocolversion': '14.1',
      'x-ms-policykey': '77',
      'content-type': 'application/vnd.ms-sync.wbxml',
      'user-agent': expect.stringMatching(/^Tidings\//),
      deviceType: 'Tidings',
      deviceId: 'TDG0123456789',
      user: 'alice',
    });
  });

  it('a Ping answer later than its deadline is EAS_ERR_TIMEOUT', async () => {
    server = await startEasServer();
    dispatcher = new Agent();
    // undici's parser timers have a one-second resolution (lib/util/timers.js), hence the sizes.
    server.handlers.Ping = () => ({ delayMs: 3500, body: 'late' });
    await expect(
      http(server, dispatcher).post('Ping', undefined, { version: '14.1', timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'EAS_ERR_TIMEOUT', command: 'Ping' });
  });

  it('an aborted request is EAS_ERR_ABORTED', async () => {
    server = await startEasServer();
    dispatcher = new Agent();
    server.handlers.Ping = () => ({ delayMs: 400 });
    const ac = new AbortController();
    const p = http(server, dispatcher).post('Ping', undefined, { version: '14.1', signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'EAS_ERR_ABORTED' });
  });

  it('451: reports the new URL once and uses it', async () => {
    server = await startEasServer();
    dispatcher = new Agent();
    const moved = server.url.replace('/Microsoft-Server-ActiveSync', '/b/Microsoft-Server-ActiveSync');
    server.handlers['*'] = (req, next) =>
      req.path === '/Microsoft-Server-ActiveSync'
        ? { status: 451, headers: { 'x-ms-location': moved } }
        : next();
    const redirects: string[] = [];
    const h = http(server, dispatcher, { onRedirect: (u) => redirects.push(u) });
    await h.post('FolderSync', undefined, { version: '14.1' });
    await h.post('FolderSync', undefined, { version: '14.1' });
    expect(redirects).toEqual([moved]);
    expect(h.url).toBe(moved);
  });
});

describe('createDispatcher', () => {
  it('adds a custom CA to the root store and checks the PEM paths with the field named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-ca-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const d = createDispatcher({ tls: { ca, rejectUnauthorized: true } });
    cleanups.push(() => d.close());
    expect(() =>
      createDispatcher({ tls: { ca: join(dir, 'missing.pem'), rejectUnauthorized: true } }),
    ).toThrow(/tls\.ca: cannot read/);
    expect(() => createDispatcher({ tls: { cert: ca, rejectUnauthorized: true } })).toThrow(/together/);
    expect(() => createDispatcher({ proxy: 'not a url' })).toThrow(/proxy/);
  });

  it('goes through an HTTP proxy (CONNECT), with proxy credentials, and the watcher works through it', async () => {
    const tunnels: string[] = [];
    const auths: (string | undefined)[] = [];
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client: Socket, head) => {
      tunnels.push(req.url ?? '');
      auths.push(req.headers['proxy-authorization']);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(client).add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          proxy.close(() => r());
        }),
    );
    const port = (proxy.address() as AddressInfo).port;
    const d = createDispatcher({ proxy: `http://bob:s3cret@127.0.0.1:${port}` });
    const h = await harness({ deps: { dispatcher: d } });
    cleanups.push(async () => {
      await h.close();
      await d.close();
    });
    await pingParked(h);
    expect(tunnels[0]).toBe(`127.0.0.1:${h.server.port}`);
    expect(auths[0]).toBe(`Basic ${Buffer.from('bob:s3cret').toString('base64')}`);
  });
});

describe('Autodiscover hand-off', () => {
  it('an account without url asks Autodiscover once and keeps the answer', async () => {
    const asked: string[] = [];
    const s = await startEasServer();
    server = s;
    const h = await harness({
      reuseServer: s,
      account: { url: undefined },
      deps: {
        autodiscover: async (email, opts) => {
          asked.push(email);
          expect(await opts.password?.()).toBe('alice-password');
          return { url: s.url };
        },
      },
    });
    cleanups.push(() => h.close());
    await pingParked(h);
    expect(asked).toEqual(['alice@example.test']);
    expect(h.store.get('work', 'eas.url')).toBe(s.url);
  });
});

describe('no address at all', () => {
  it('an account without url and without Autodiscover is disabled with EAS_ERR_NO_URL', async () => {
    const h = await harness({ account: { url: undefined } });
    cleanups.push(() => h.close());
    const st = await waitFor(() => h.watcher.status().state === 'disabled' && h.watcher.status(), 'disabled');
    expect(st.lastError?.code).toBe('EAS_ERR_NO_URL');
    expect(h.server.requests).toHaveLength(0);
  });
});
