import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DavFixture, startDavFixture } from '../../../fixtures/src/dav-server';
import { DavError } from '../../src/dav/errors';
import { propfindHome } from '../../src/dav/home-propfind';
import { compose, createTransport, type Send } from '../../src/dav/request';
import { syncCollection } from '../../src/dav/sync-collection';
import { withBasicAuth, withRedirects, withRetryOnReset, withStatusErrors } from '../../src/dav/wrappers';

let fx: DavFixture;
let agent: Agent;
let send: Send;
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

beforeAll(async () => {
  fx = await startDavFixture();
  fx.data.addCollection('/cal/alice/work/', 'calendar', 'Work');
  agent = new Agent({ keepAliveTimeout: 1000 });
  send = compose(
    createTransport({ dispatcher: agent, maxBodyBytes: 1024 * 1024 }),
    withRetryOnReset(),
    withStatusErrors(() => NOW),
    withRedirects(),
    withBasicAuth('alice', async () => 'secret'),
  );
});
afterEach(() => {
  fx.faults.length = 0;
  fx.requests.length = 0;
});
afterAll(async () => {
  await agent.close();
  await fx.close();
});

async function failure(p: Promise<unknown>): Promise<DavError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DavError)) throw new Error(`expected a DavError, got ${String(err)}`);
  return err;
}

const home = () => new URL('/cal/alice/', fx.url);

describe('server faults map to DavError codes', () => {
  it('a dropped connection is retried once, then DAV_ERR_NETWORK', async () => {
    fx.faults.push(() => 'drop');
    const err = await failure(propfindHome(send, home()));
    expect(err.code).toBe('DAV_ERR_NETWORK');
    expect(err.transient).toBe(true);
    expect(fx.requests.filter((r) => r.method === 'PROPFIND')).toHaveLength(2);
  });

  it('a single dropped keep-alive socket is healed by the retry', async () => {
    let drops = 1;
    fx.faults.push(() => (drops-- > 0 ? 'drop' : undefined));
    const cols = await propfindHome(send, home());
    expect(cols.map((c) => c.name)).toEqual(['Work']);
  });

  it('500 → DAV_ERR_SERVER with status and URL, no retry inside the request', async () => {
    fx.faults.push(() => ({ status: 500, body: 'boom' }));
    const err = await failure(propfindHome(send, home()));
    expect(err.code).toBe('DAV_ERR_SERVER');
    expect(err.context).toMatchObject({ status: 500, method: 'PROPFIND', url: `${fx.url}/cal/alice/` });
    expect(fx.requests).toHaveLength(1);
  });

  it('503 with Retry-After → DAV_ERR_RATE_LIMITED carrying the delay (seconds and HTTP-date)', async () => {
    fx.faults.push(() => ({ status: 503, headers: { 'retry-after': '120' } }));
    expect((await failure(propfindHome(send, home()))).context.retryAfterMs).toBe(120_000);
    fx.faults.length = 0;
    fx.faults.push(() => ({
      status: 503,
      headers: { 'retry-after': new Date(NOW + 300_000).toUTCString() },
    }));
    const err = await failure(propfindHome(send, home()));
    expect(err.code).toBe('DAV_ERR_RATE_LIMITED');
    expect(err.context.retryAfterMs).toBe(300_000);
  });

  it('401 → DAV_ERR_UNAUTHORIZED, and the message never holds the password', async () => {
    const bad = compose(
      createTransport({ dispatcher: agent }),
      withStatusErrors(),
      withBasicAuth('alice', async () => 'wrong-pw'),
    );
    const err = await failure(propfindHome(bad, home()));
    expect(err.code).toBe('DAV_ERR_UNAUTHORIZED');
    expect(JSON.stringify({ m: err.message, c: err.context })).not.toContain('wrong-pw');
  });

  it('a broken multistatus → DAV_ERR_XML_MALFORMED', async () => {
    fx.faults.push(() => ({
      status: 207,
      headers: { 'content-type': 'application/xml' },
      body: '<D:multistatus xmlns:D="DAV:"><D:response>',
    }));
    expect((await failure(propfindHome(send, home()))).code).toBe('DAV_ERR_XML_MALFORMED');
  });

  it('hostile XML in a 207 → DAV_ERR_XML_HOSTILE', async () => {
    const body =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><multistatus xmlns="DAV:">&a;</multistatus>';
    fx.faults.push(() => ({ status: 207, body }));
    expect((await failure(propfindHome(send, home()))).code).toBe('DAV_ERR_XML_HOSTILE');
  });

  it('an invalid sync token → DAV_ERR_INVALID_SYNC_TOKEN (RFC 6578 §3.2 precondition)', async () => {
    const err = await failure(
      syncCollection(send, new URL('/cal/alice/work/', fx.url), 'http://fixture.invalid/sync/99-1'),
    );
    expect(err.code).toBe('DAV_ERR_INVALID_SYNC_TOKEN');
    expect(err.context).toMatchObject({ status: 403, condition: 'valid-sync-token' });
  });

  it('a redirect loop → DAV_ERR_TOO_MANY_REDIRECTS', async () => {
    fx.faults.push((r) => ({ status: 301, headers: { location: r.path === '/a' ? '/b' : '/a' } }));
    const err = await failure(send({ method: 'PROPFIND', url: new URL('/a', fx.url) }));
    expect(err.code).toBe('DAV_ERR_TOO_MANY_REDIRECTS');
  });

  it('a redirect keeps PROPFIND and its body', async () => {
    let once = true;
    fx.faults.push((r) => {
      if (r.path !== '/old/' || !once) return undefined;
      once = false;
      return { status: 308, headers: { location: '/cal/alice/' } };
    });
    const cols = await propfindHome(send, new URL('/old/', fx.url));
    expect(cols.map((c) => c.href)).toEqual(['/cal/alice/work/']);
    expect(fx.requests.map((r) => [r.method, r.path, r.depth])).toEqual([
      ['PROPFIND', '/old/', '1'],
      ['PROPFIND', '/cal/alice/', '1'],
    ]);
    expect(fx.requests[1]?.body).toContain('sync-token');
  });
});

describe('body size cap', () => {
  let big: Server;
  let bigUrl: string;
  let sent = 0;
  let closedEarly: Promise<boolean>;

  beforeAll(async () => {
    big = createServer((_req, res) => {
      // 100 MB of multistatus, streamed without Content-Length, as a hostile server would.
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      res.writeHead(207, { 'content-type': 'application/xml' });
      res.write('<multistatus xmlns="DAV:"><x>');
      closedEarly = new Promise((resolve) => {
        res.on('close', () => resolve(sent < 100));
        const pump = () => {
          while (sent < 100) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end('</x></multistatus>');
        };
        pump();
      });
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    bigUrl = `http://127.0.0.1:${(big.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    big.closeAllConnections();
    await new Promise((r) => big.close(r));
  });

  it('a 100 MB body → DAV_ERR_BODY_TOO_LARGE at the cap, and the rest is never read', async () => {
    const err = await failure(propfindHome(send, new URL(bigUrl)));
    expect(err.code).toBe('DAV_ERR_BODY_TOO_LARGE');
    expect(err.context.limit).toBe(1024 * 1024);
    expect(err.message).toMatch(/exceeds 1048576 bytes/);
    expect(await closedEarly).toBe(true);
  });

  it('a declared Content-Length beyond the cap is refused before reading', async () => {
    fx.faults.push(() => ({
      status: 207,
      headers: { 'content-length': String(2 * 1024 * 1024) },
      body: Buffer.alloc(2 * 1024 * 1024, 'a'),
    }));
    expect((await failure(propfindHome(send, home()))).code).toBe('DAV_ERR_BODY_TOO_LARGE');
  });
});
