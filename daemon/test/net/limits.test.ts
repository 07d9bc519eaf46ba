import { type EasFixtureServer, endlessBody, hugeBody, startEasServer, trickle } from '@tidings/fixtures';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { NetError } from '../../src/net/errors';
import { exchange } from '../../src/net/exchange';
import { waitFor } from '../eas/harness';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(): Promise<{ s: EasFixtureServer; agent: Agent }> {
  const s = await startEasServer();
  const agent = new Agent();
  closers.push(
    () => s.close(),
    () => agent.close(),
  );
  return { s, agent };
}

const MB = 1024 * 1024;

async function failure(p: Promise<unknown>): Promise<NetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NetError);
  return err as NetError;
}

describe('body caps, checked while the answer streams in (issue 13 §3)', () => {
  it('a body that announces 500 MB is refused on its headers', async () => {
    const { s, agent } = await setup();
    s.handlers.OPTIONS = () => hugeBody(500 * MB);
    const err = await failure(
      exchange(agent, new URL(s.url), { method: 'OPTIONS', headers: {}, maxBytes: MB }),
    );
    expect(err.code).toBe('NET_ERR_BODY_TOO_LARGE');
    expect(err.limit).toBe(MB);
    expect(err.message).toContain(`announces ${500 * MB} bytes`);
  });

  it('an endless chunked body stops at the cap', async () => {
    const { s, agent } = await setup();
    s.handlers.OPTIONS = () => endlessBody();
    const err = await failure(
      exchange(agent, new URL(s.url), { method: 'OPTIONS', headers: {}, maxBytes: MB }),
    );
    expect(err.code).toBe('NET_ERR_BODY_TOO_LARGE');
    expect(err.message).toContain(`larger than the ${MB} bytes allowed`);
  });

  it('at the cap an unannounced body is whole; one byte more is refused', async () => {
    const { s, agent } = await setup();
    const cap = 200_000;
    s.handlers.OPTIONS = () => hugeBody(cap, { announce: false });
    const ok = await exchange(agent, new URL(s.url), { method: 'OPTIONS', headers: {}, maxBytes: cap });
    expect(ok.body.length).toBe(cap);
    s.handlers.OPTIONS = () => hugeBody(cap + 1, { announce: false });
    const err = await failure(
      exchange(agent, new URL(s.url), { method: 'OPTIONS', headers: {}, maxBytes: cap }),
    );
    expect(err.code).toBe('NET_ERR_BODY_TOO_LARGE');
  });
});

describe('a total deadline on every exchange (issue 13 §3)', () => {
  it('a body trickled one byte at a time ends with NET_ERR_DEADLINE, and the connection is closed', async () => {
    const { s, agent } = await setup();
    // 100 bytes, one per 150 ms: no gap ever reaches a gap timer, the whole takes 15 s.
    const slow = trickle(100, 150);
    s.handlers.OPTIONS = () => slow.reply;
    const err = await failure(
      exchange(agent, new URL(s.url), { method: 'OPTIONS', headers: {}, deadlineMs: 1000 }),
    );
    expect(err.code).toBe('NET_ERR_DEADLINE');
    expect(err.limit).toBe(1000);
    expect(err.message).toBe('no complete answer within 1 s');
    await waitFor(() => slow.abandoned === 1, 'the server sees the client leave');
    expect(slow.sent).toBeLessThan(100);
  });

  it('no headers within the deadline: undici headers timeout, capped to the deadline', async () => {
    const { s, agent } = await setup();
    s.handlers.OPTIONS = () => ({ delayMs: 30_000 });
    const err = await exchange(agent, new URL(s.url), {
      method: 'OPTIONS',
      headers: {},
      headersTimeout: 300_000,
      deadlineMs: 500,
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });
});
