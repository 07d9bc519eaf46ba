import { afterEach, describe, expect, it } from 'vitest';
import {
  type JmapFixture,
  type JmapFixtureOptions,
  startJmapFixture,
} from '../../../fixtures/src/jmap-server';
import { KEY_TYPES, type TypeStates } from '../../src/jmap/type-sync';
import { harness, testContext, until } from './support';

let fx: JmapFixture | undefined;
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await fx?.close();
  fx = undefined;
});
async function fixture(o: JmapFixtureOptions) {
  fx = await startJmapFixture(o);
  return fx;
}
function watch(...args: Parameters<typeof harness>) {
  const h = harness(...args);
  open.push(h);
  return h;
}

describe('JMAP watcher with calendars and contacts (integration draft)', () => {
  it('baselines silently, then one created event gives exactly one calendar signal over EventSource push', async () => {
    const f = await fixture({ calendars: true, contacts: true, users: { 'alice@example.org': 'secret' } });
    f.pim.addEvent({ title: 'before' });
    const ctx = testContext('acct');
    const h = watch(f.url, { username: 'alice@example.org' }, { ctx });
    h.watcher.start();
    await until('waiting', () => h.watcher.status().state === 'waiting' && f.openStreams === 1).catch((e) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(h.watcher.status())} ${JSON.stringify(f.requests.map((r) => [r.path, r.calls]))}`,
      );
    });
    expect(ctx.store.get<TypeStates>('acct', KEY_TYPES)?.types).toHaveProperty('calendars');
    expect(f.requests.some((r) => r.path === '/jmap/eventsource/')).toBe(true);
    const id = f.pim.addEvent({ title: 'Planning', start: '2026-03-02T10:00:00', timeZone: 'UTC' });
    await until('signal', () => ctx.published.length === 1);
    await h.watcher.checkNow();
    expect(ctx.published).toHaveLength(1);
    expect(ctx.published[0]).toMatchObject({
      collection: 'calendar',
      folder: { name: 'Personal' },
      added: [{ id, title: 'Planning', start: '2026-03-02T10:00:00Z', kind: 'new' }],
    });
    const card = f.pim.addCard({ name: { full: 'Ada' } });
    await until('card', () => ctx.published.length === 2);
    expect(ctx.published[1]).toMatchObject({ collection: 'contacts', added: [{ id: card, title: 'Ada' }] });
    // A mail still gives its one signal.
    f.data.add({ subject: 'mail' });
    await until('mail', () => ctx.published.length === 3);
    expect(ctx.published[2]!.collection).toBe('mail');
  });
});
