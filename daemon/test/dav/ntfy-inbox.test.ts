import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNtfyInbox } from '../../src/dav/ntfy-inbox';

/** A fake ntfy: each GET /<topic>/json is kept open; tests write lines to it. */
let server: Server;
let base: string;
const streams: { req: IncomingMessage; res: ServerResponse }[] = [];
const waiters: (() => void)[] = [];

beforeEach(async () => {
  streams.length = 0;
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(`${JSON.stringify({ id: 'open1', event: 'open', topic: 't' })}\n`);
    streams.push({ req, res });
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const nextStream = (n: number) =>
  new Promise<void>((resolve) => {
    if (streams.length >= n) resolve();
    else waiters.push(() => (streams.length >= n ? resolve() : void nextStream(n).then(resolve)));
  });

describe('ntfy PushInbox', () => {
  it('delivers message events (text and base64), ignores keepalives, and closes the stream on unsubscribe', async () => {
    const inbox = createNtfyInbox({ topicUrl: `${base}/tidings-abc` });
    expect(inbox.endpoint).toBe(`${base}/tidings-abc`);
    const got: string[] = [];
    let resolveTwo: () => void = () => undefined;
    const two = new Promise<void>((r) => {
      resolveTwo = r;
    });
    const off = inbox.subscribe((b) => {
      got.push(b);
      if (got.length === 2) resolveTwo();
    });
    await nextStream(1);
    expect(streams[0]?.req.url).toBe('/tidings-abc/json');
    const s = streams[0]!.res;
    s.write(`${JSON.stringify({ id: 'k', event: 'keepalive' })}\n`);
    s.write(
      `${JSON.stringify({ id: 'm1', event: 'message', message: '<push-message><topic>a</topic></push-message>' })}\n`,
    );
    const b64 = Buffer.from('<push-message><topic>b</topic></push-message>').toString('base64');
    s.write(`{"id":"m2","event":"message","encoding":"base64",`);
    s.write(`"message":"${b64}"}\n`);
    await two;
    expect(got).toEqual([
      '<push-message><topic>a</topic></push-message>',
      '<push-message><topic>b</topic></push-message>',
    ]);
    const closed = new Promise<void>((r) => streams[0]!.req.socket.once('close', () => r()));
    off();
    await closed;
    await inbox.close();
  });

  it('reconnects after the stream drops, resuming with since=<last id>', async () => {
    const timers: (() => void)[] = [];
    const errors: unknown[] = [];
    const inbox = createNtfyInbox({
      topicUrl: `${base}/t`,
      clock: { setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined },
      onError: (e) => errors.push(e),
    });
    inbox.subscribe(() => undefined);
    await nextStream(1);
    streams[0]!.res.write(`${JSON.stringify({ id: 'm7', event: 'message', message: 'x' })}\n`);
    await new Promise((r) => setTimeout(r, 20));
    streams[0]!.res.end();
    await new Promise<void>((resolve) => {
      const poll = () => (timers.length > 0 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    timers.shift()?.();
    await nextStream(2);
    expect(streams[1]?.req.url).toBe('/t/json?since=m7');
    expect(errors).toEqual([]);
    await inbox.close();
  });
});
