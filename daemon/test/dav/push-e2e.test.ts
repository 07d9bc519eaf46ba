import { Agent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DavFixture, startDavFixture, startNtfyFixture } from '../../../fixtures/src/dav-server';
import { createNtfyInbox } from '../../src/dav/ntfy-inbox';
import type { ChangeSignal } from '../../src/signal';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import { davAccount, FakeClock, testContext, vevent } from './support';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('WebDAV-Push end to end: fixture server → ntfy → inbox → watcher', () => {
  it('a change on the server reaches the watcher by push, without waiting for the poll', async () => {
    const fx: DavFixture = await startDavFixture({ push: true });
    const ntfy = await startNtfyFixture();
    const agent = new Agent();
    cleanup.push(
      () => fx.close(),
      () => ntfy.close(),
      () => agent.close(),
    );
    fx.data.addCollection('/cal/alice/work/', 'calendar', 'Work', { pushTopic: 'T0pic_work' });
    const inbox = createNtfyInbox({ topicUrl: `${ntfy.url}/tidings-e2e` });
    cleanup.push(() => inbox.close());
    const clock = new FakeClock();
    const t = testContext();
    let onSignal: (s: ChangeSignal[]) => void = () => undefined;
    t.ctx.publish = (s) => onSignal(s);
    const w: DavWatcher = createDavWatcher(davAccount(fx.url), t.ctx, {
      dispatcher: agent,
      clock,
      timeZone: 'UTC',
      push: inbox,
    });
    cleanup.push(() => w.stop());
    w.start();
    await w.checkNow();
    expect(fx.pushRegistrations.get('/cal/alice/work/')).toBe(`${ntfy.url}/tidings-e2e`);
    expect(clock.armedDelay()).toBe(900_000);

    // The inbox opens its stream asynchronously; a message sent before that would be lost.
    await vi.waitFor(() => expect(ntfy.listeners()).toBe(1));
    const signal = new Promise<ChangeSignal[]>((resolve) => {
      onSignal = resolve;
    });
    fx.data.put(
      '/cal/alice/work/',
      'push.ics',
      vevent({ uid: 'p', summary: 'Pushed', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    const [got] = await signal;
    expect(got?.added).toEqual([
      {
        id: '/cal/alice/work/push.ics',
        title: 'Pushed',
        start: '2026-03-01T09:00:00+00:00',
        end: '2026-03-01T10:00:00+00:00',
        kind: 'new',
      },
    ]);
    await vi.waitFor(() =>
      expect(fx.pushSent).toEqual([{ resource: `${ntfy.url}/tidings-e2e`, status: 200 }]),
    );
  });
});
