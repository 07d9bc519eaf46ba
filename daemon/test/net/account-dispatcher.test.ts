import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountDispatcher } from '../../src/net/account-dispatcher';
import { createDispatcher, ownConnectionOptions } from '../../src/net/dispatcher';
import { exchange } from '../../src/net/exchange';

/** A server that counts the TCP connections it accepted and answers each request with its path. */
async function server(
  handler: (req: IncomingMessage, res: ServerResponse) => void = (req, res) => res.end(req.url),
): Promise<{ url: string; connections: () => number; srv: Server }> {
  let n = 0;
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  srv.on('connection', (s: Socket) => {
    n++;
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, connections: () => n, srv };
}

/** Counts what reaches the shared dispatcher. */
function countingShared(): { shared: Dispatcher; calls: string[]; agent: Agent } {
  const agent = new Agent();
  const calls: string[] = [];
  const shared = {
    dispatch(o: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler) {
      calls.push(`${String(o.origin)}${o.path}`);
      return agent.dispatch(o, h);
    },
  } as unknown as Dispatcher;
  return { shared, calls, agent };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A server and a plain Agent to it, both closed after the test. */
async function direct(handler?: Parameters<typeof server>[0]): Promise<{ url: string; agent: Agent }> {
  const s = await server(handler);
  const agent = new Agent();
  closers.push(
    () => agent.close(),
    async () => s.srv.close(),
  );
  return { url: s.url, agent };
}

const own = () => ownConnectionOptions(createDispatcher({ shared: true }))!;
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('AccountDispatcher', () => {
  it('sends the home origin over one connection of its own, request after request', async () => {
    const s = await server();
    const { shared, calls, agent } = countingShared();
    const d = new AccountDispatcher(shared, own());
    closers.push(
      () => d.close(),
      () => agent.close(),
      async () => s.srv.close(),
    );
    d.home(`${s.url}/Microsoft-Server-ActiveSync`);
    for (let i = 0; i < 20; i++) {
      const r = await exchange(d, new URL(`${s.url}/c${i}`), { method: 'POST', headers: {} });
      expect(text(r.body)).toBe(`/c${i}`);
    }
    expect(calls).toEqual([]);
    expect(s.connections()).toBe(1);
  });

  it('sends other origins, and the home origin while its connection is busy, to the shared dispatcher', async () => {
    const home = await server();
    const other = await server();
    const held = new Map<string, () => void>();
    const slow = await server((req, res) => {
      held.set(req.url ?? '', () => res.end(req.url));
    });
    const { shared, calls, agent } = countingShared();
    const d = new AccountDispatcher(shared, own());
    closers.push(
      () => d.close(),
      () => agent.close(),
      async () => {
        for (const s of [home, other, slow]) s.srv.close();
      },
    );
    d.home(slow.url);
    const parked = exchange(d, new URL(`${slow.url}/ping`), { method: 'POST', headers: {} });
    await new Promise((r) => setTimeout(r, 50));
    // The Ping holds the own connection: a second request to the same origin must not queue behind it.
    const beside = exchange(d, new URL(`${slow.url}/beside`), { method: 'POST', headers: {} });
    await new Promise((r) => setTimeout(r, 50));
    held.get('/beside')?.();
    expect(text((await beside).body)).toBe('/beside');
    held.get('/ping')?.();
    expect(text((await parked).body)).toBe('/ping');
    expect(slow.connections()).toBe(2);
    expect(text((await exchange(d, new URL(`${other.url}/x`), { method: 'GET', headers: {} })).body)).toBe(
      '/x',
    );
    expect(calls).toEqual([`${slow.url}/beside`, `${other.url}/x`]);
    expect(home.connections()).toBe(0);
  });

  it('moves its connection when the home origin changes (a 451) and closes only its own on close', async () => {
    const a = await server();
    const b = await server();
    const { shared, calls, agent } = countingShared();
    const d = new AccountDispatcher(shared, own());
    closers.push(
      () => agent.close(),
      async () => {
        a.srv.close();
        b.srv.close();
      },
    );
    d.home(a.url);
    await exchange(d, new URL(`${a.url}/1`), { method: 'GET', headers: {} });
    d.home(`${b.url}/new`);
    await exchange(d, new URL(`${b.url}/2`), { method: 'GET', headers: {} });
    expect(calls).toEqual([]);
    expect([a.connections(), b.connections()]).toEqual([1, 1]);
    await d.close();
    // The shared dispatcher still works after the account's close.
    const r = await exchange(agent, new URL(`${a.url}/after`), { method: 'GET', headers: {} });
    expect(text(r.body)).toBe('/after');
  });

  it('is only offered next to a shared direct dispatcher, never next to a proxy or a plain one', () => {
    expect(ownConnectionOptions(createDispatcher({ shared: true }))).toBeDefined();
    expect(ownConnectionOptions(createDispatcher({}))).toBeUndefined();
    expect(
      ownConnectionOptions(createDispatcher({ shared: true, proxy: 'http://127.0.0.1:3128' })),
    ).toBeUndefined();
  });
});

describe('exchange', () => {
  it('buffers a body that arrives in many chunks and reads repeated headers', async () => {
    const { url, agent } = await direct((_req, res) => {
      res.setHeader('x-twice', ['a', 'b']);
      res.setHeader('Retry-After', '7');
      for (let i = 0; i < 50; i++) res.write(Buffer.alloc(1000, i));
      res.end();
    });
    const r = await exchange(agent, new URL(`${url}/big`), { method: 'GET', headers: {} });
    expect(r.statusCode).toBe(200);
    expect(r.body.length).toBe(50_000);
    expect(r.body[49_999]).toBe(49);
    expect(r.headers['x-twice']).toEqual(['a', 'b']);
    expect(r.headers['retry-after']).toBe('7');
  });

  it('sends Content-Length 0 for a POST without a body', async () => {
    let seen: string | undefined;
    const { url, agent } = await direct((req, res) => {
      seen = req.headers['content-length'];
      res.end();
    });
    await exchange(agent, new URL(url), { method: 'POST', headers: {}, body: Buffer.alloc(0) });
    expect(seen).toBe('0');
  });

  it('rejects with the signal reason when aborted before or while the answer is awaited', async () => {
    const { url, agent } = await direct(() => {});
    const early = new AbortController();
    early.abort(new Error('stopped early'));
    await expect(
      exchange(agent, new URL(url), { method: 'GET', headers: {}, signal: early.signal }),
    ).rejects.toThrow('stopped early');
    const late = new AbortController();
    const p = exchange(agent, new URL(url), { method: 'GET', headers: {}, signal: late.signal });
    setTimeout(() => late.abort(new Error('stopped late')), 30);
    await expect(p).rejects.toThrow('stopped late');
  });

  it("reports undici's headers timeout", async () => {
    const { url, agent } = await direct(() => {});
    await expect(
      exchange(agent, new URL(url), { method: 'GET', headers: {}, headersTimeout: 100 }),
    ).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('adds one abort listener per signal, not one per request, and it still aborts what is in flight', async () => {
    const { url, agent } = await direct((req, res) => {
      if (req.url !== '/hang') res.end(req.url);
    });
    const ctl = new AbortController();
    let added = 0;
    let removed = 0;
    const add = ctl.signal.addEventListener.bind(ctl.signal);
    const rm = ctl.signal.removeEventListener.bind(ctl.signal);
    ctl.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      return add(...a);
    }) as typeof add;
    ctl.signal.removeEventListener = ((...a: Parameters<typeof rm>) => {
      removed++;
      return rm(...a);
    }) as typeof rm;
    for (let i = 0; i < 5; i++)
      await exchange(agent, new URL(url), { method: 'GET', headers: {}, signal: ctl.signal });
    expect([added, removed]).toEqual([1, 0]);
    const parked = exchange(agent, new URL(`${url}/hang`), {
      method: 'GET',
      headers: {},
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(new Error('session over')), 30);
    await expect(parked).rejects.toThrow('session over');
  });
});
