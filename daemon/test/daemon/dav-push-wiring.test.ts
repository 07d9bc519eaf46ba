import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startDavFixture } from '../../../fixtures/src/dav-server';
import { configSchema } from '../../src/config/schema';
import { startDaemon } from '../../src/daemon';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A minimal ntfy: counts open `GET /<topic>/json` streams. */
async function startNtfy(): Promise<{ url: string; listeners(): number; close(): Promise<void> }> {
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0]!.endsWith('/json')) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ id: 'o1', event: 'open' })}\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(200).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    listeners: () => streams.size,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('daemon wiring of WebDAV-Push (push.ntfy)', () => {
  it('the config accepts push.ntfy (a URL) and refuses anything else', () => {
    const base = { id: 'cal', kind: 'caldav', url: 'https://dav.example.com/', username: 'a' };
    expect(
      configSchema().parse({ accounts: [{ ...base, push: { ntfy: 'https://ntfy.sh/tidings-x' } }] })
        .accounts[0],
    ).toMatchObject({
      push: { ntfy: 'https://ntfy.sh/tidings-x' },
    });
    expect(configSchema().safeParse({ accounts: [{ ...base, push: { ntfy: 'not a url' } }] }).success).toBe(
      false,
    );
    expect(
      configSchema().safeParse({ accounts: [{ ...base, push: { gotify: 'https://x/' } }] }).success,
    ).toBe(false);
  });

  it('registers the ntfy topic with the server, listens on it, and closes the stream with the watcher', async () => {
    const fx = await startDavFixture({ push: true });
    cleanups.push(() => fx.close());
    fx.data.addCollection('/cal/alice/work/', 'calendar', 'Work', { pushTopic: 'T0pic_work' });
    const ntfy = await startNtfy();
    cleanups.push(() => ntfy.close());
    const topic = `${ntfy.url}/tidings-daemon-test`;
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          {
            id: 'cal',
            kind: 'caldav',
            url: fx.url,
            username: 'alice',
            secret: { env: 'TIDINGS_TEST_DAV_SECRET' },
            push: { ntfy: topic },
          },
        ],
      }),
    );
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log: capturingLog('fatal').log,
      desktop: false,
      wakeMonitor: false,
      secrets: { env: { TIDINGS_TEST_DAV_SECRET: 'secret' } },
    });
    cleanups.push(() => d.stop());
    await until(() => fx.pushRegistrations.get('/cal/alice/work/') === topic, 'push registration');
    await until(() => ntfy.listeners() === 1, 'the ntfy stream');
    await d.stop();
    await until(() => ntfy.listeners() === 0, 'the ntfy stream closed');
  });
});
