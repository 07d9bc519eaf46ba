import { writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
// From the package's public surface: the Autodiscover fixture is exported there too.
import {
  type AutodiscoverServer,
  poxSettings,
  startAutodiscoverServer,
  startEasServer,
  startOAuthServer,
} from '@tidings/fixtures';
import { DispatcherPool, defaultWatcherFactory, startDaemon } from '../../src/daemon';
import { connect } from '../../src/ipc/client';
import type { KeyringBackend } from '../../src/secrets';
import type { ChangeSignal } from '../../src/signal';
import { fixtureDispatcher } from '../eas-autodiscover/helpers';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function memoryKeyring(init: Record<string, string> = {}): KeyringBackend & { entries: Map<string, string> } {
  const entries = new Map(Object.entries(init));
  return {
    entries,
    get: async (_s, a) => entries.get(a) ?? null,
    set: async (_s, a, v) => {
      entries.set(a, v);
    },
    delete: async (_s, a) => entries.delete(a),
  };
}

/** TLS in front of the plain-HTTP EAS fixture, with the Autodiscover fixture's certificate. */
async function tlsFront(
  ad: AutodiscoverServer,
  targetPort: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TlsServer = createTlsServer({ key: ad.tls.key, cert: ad.tls.cert }, (s) => {
    const up = netConnect(targetPort, '127.0.0.1');
    sockets.add(s).add(up);
    s.pipe(up).pipe(s);
    const end = () => {
      s.destroy();
      up.destroy();
    };
    s.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('daemon wiring of Autodiscover and OAuth2', () => {
  it('an Exchange account without url finds it by Autodiscover, stores it and reaches waiting', async () => {
    const eas = await startEasServer({ pingTimeScale: 5 });
    cleanups.push(() => eas.close());
    const ad = await startAutodiscoverServer({ hostnames: ['example.com', 'eas.example.com'] });
    cleanups.push(() => ad.close());
    const front = await tlsFront(ad, eas.port);
    cleanups.push(() => front.close());
    const easUrl = `https://eas.example.com:${front.port}/Microsoft-Server-ActiveSync`;
    ad.route('POST', 'https://example.com/autodiscover/autodiscover.xml', () => ({
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: poxSettings(easUrl),
    }));
    const agent: Agent = fixtureDispatcher(ad.tls.ca);
    cleanups.push(() => agent.close());
    const pool = new DispatcherPool();
    cleanups.push(() => pool.close());

    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [{ id: 'work', kind: 'exchange', email: 'alice@example.com', username: 'alice' }],
      }),
    );
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      desktop: false,
      secrets: { keyring: memoryKeyring({ work: 'alice-password' }) },
      watcherFactory: defaultWatcherFactory(pool, {
        dispatcherFor: () => agent,
        autodiscover: { baseUrls: (scheme, host) => ad.origin(scheme, host), resolveSrv: async () => [] },
      }),
    });
    cleanups.push(() => d.stop());
    await until(() => d.status().accounts[0]?.status.state === 'waiting', 'account waiting');
    // Autodiscover asked the domain once; every EAS command then went to the discovered URL.
    expect(ad.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST https://example.com/autodiscover/autodiscover.xml',
    ]);
    await until(() => eas.parkedPings === 1, 'a Ping parked on the discovered server');
    expect(eas.requests.map((r) => r.command)).toContain('FolderSync');
    expect(eas.requests.every((r) => r.user === 'alice')).toBe(true);

    // Stored: a restart does not search again.
    await d.stop();
    const again = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      desktop: false,
      secrets: { keyring: memoryKeyring({ work: 'alice-password' }) },
      watcherFactory: defaultWatcherFactory(pool, {
        dispatcherFor: () => agent,
        autodiscover: { baseUrls: (scheme, host) => ad.origin(scheme, host), resolveSrv: async () => [] },
      }),
    });
    cleanups.push(() => again.stop());
    await until(
      () => again.status().accounts[0]?.status.state === 'waiting',
      'account waiting after restart',
    );
    expect(ad.requests).toHaveLength(1);
  });

  it('an oauth2 account gets bearer tokens from the refresh token in the keyring and delivers a signal', async () => {
    const oauth = await startOAuthServer();
    cleanups.push(() => oauth.close());
    const eas = await startEasServer({
      pingTimeScale: 5,
      tokens: (t) => (oauth.idp.isValidAccessToken(t) ? 'alice' : undefined),
    });
    cleanups.push(() => eas.close());
    const rt = oauth.idp.issueRefreshToken();
    const keyring = memoryKeyring({ 'work:oauth-refresh': rt });

    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'work',
            kind: 'exchange',
            email: 'alice@example.com',
            url: eas.url,
            auth: { type: 'oauth2', clientId: oauth.idp.clientId, authority: oauth.authority },
          },
        ],
      }),
    );
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('warn').log,
      desktop: false,
      secrets: { keyring },
    });
    cleanups.push(() => d.stop());
    await until(() => d.status().accounts[0]?.status.state === 'waiting', 'oauth2 account waiting');
    expect(oauth.idp.counts.refreshToken).toBe(1);
    // Rotation: the new refresh token replaced the seeded one in the keyring.
    expect(keyring.entries.get('work:oauth-refresh')).not.toBe(rt);

    const c = await connect(d.ipcPath, { client: 'test' });
    cleanups.push(() => c.close());
    const signals: ChangeSignal[] = [];
    c.onSignal((s) => signals.push(s));
    await c.subscribe();
    eas.addMail('alice', { subject: 'Bearer hello', from: 'Bob <bob@example.org>' });
    await until(() => signals.some((s) => s.collection === 'mail'), 'mail signal');
    expect(signals.find((s) => s.collection === 'mail')?.added[0]?.title).toBe('Bearer hello');
  });
});
