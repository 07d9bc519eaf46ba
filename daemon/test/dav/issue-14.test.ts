import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DavFixture, type DavFixtureOptions, startDavFixture } from '../../../fixtures/src/dav-server';
import type { CollectionState } from '../../src/dav/changes';
import { RECONCILE_MS } from '../../src/dav/check';
import type { ChangeSignal } from '../../src/signal';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import { davAccount, FakeClock, testContext, vcard, vevent } from './support';

/**
 * Issue 14: servers that behave differently — within RFC 6578 / 4791 / 6352 as servers really
 * implement them — must not make the watcher announce twice, lose deletions, stay silent or get
 * stuck. Each case is a fixture mode (fixtures/src/dav-server).
 */

let fx: DavFixture;
let agent: Agent;
let clock: FakeClock;
let watchers: DavWatcher[] = [];

const WORK = '/cal/alice/work/';
const BOOK = '/card/alice/book/';
const ev = (uid: string, summary: string, day = '02') =>
  vevent({ uid, summary, start: `202603${day}T120000Z`, end: `202603${day}T130000Z` });
const parts = (s: ChangeSignal) => ({
  added: s.added.map((i) => i.title ?? i.id),
  changed: s.changed.map((i) => i.title ?? i.id),
  removed: s.removed.map((i) => i.title ?? i.id),
});

function tokenOf(href: string): string {
  const c = fx.data.collections.get(href);
  if (!c) throw new Error(`no collection ${href}`);
  return fx.data.token(c);
}

function watch(t: ReturnType<typeof testContext>, extra: Parameters<typeof davAccount>[1] = {}): DavWatcher {
  const w = createDavWatcher(davAccount(fx.url, extra), t.ctx, {
    dispatcher: agent,
    clock,
    timeZone: 'UTC',
    random: () => 0.5,
  });
  watchers.push(w);
  w.start();
  return w;
}

async function setup(opts: DavFixtureOptions = {}) {
  fx = await startDavFixture(opts);
}

beforeEach(() => {
  agent = new Agent();
  clock = new FakeClock();
});
afterEach(async () => {
  for (const w of watchers) await w.stop();
  watchers = [];
  expect(clock.timers.size).toBe(0);
  await agent.close();
  await fx.close();
});

describe('issue 14, 1: one home for calendars and address books', () => {
  it('a caldav account watches calendars and task lists, a carddav account address books; each change once', async () => {
    await setup({ sharedHome: true });
    fx.data.addCollection('/dav/alice/work/', 'calendar', 'Work');
    fx.data.addCollection('/dav/alice/todo/', 'tasks', 'Todo');
    fx.data.addCollection('/dav/alice/journal/', 'calendar', 'Journal', { components: ['VJOURNAL'] });
    fx.data.addCollection('/dav/alice/book/', 'contacts', 'Friends');
    const cal = testContext('cal');
    const card = testContext('card');
    const wc = watch(cal, { id: 'cal', kind: 'caldav' });
    const wd = watch(card, { id: 'card', kind: 'carddav' });
    await wc.checkNow();
    await wd.checkNow();
    expect(wc.status().folders?.map((f) => [f.name, f.collection])).toEqual([
      ['Work', 'calendar'],
      ['Todo', 'tasks'],
    ]);
    expect(wd.status().folders?.map((f) => [f.name, f.collection])).toEqual([['Friends', 'contacts']]);

    fx.data.put('/dav/alice/work/', 'lunch.ics', ev('lunch', 'Lunch'));
    fx.data.put('/dav/alice/book/', 'ann.vcf', vcard('ann', 'Ann Example', 'ann@example.org'));
    fx.data.put('/dav/alice/journal/', 'note.ics', ev('note', 'Journal entry'));
    await wc.checkNow();
    await wd.checkNow();
    expect(cal.published.map((s) => [s.source, s.collection, parts(s).added])).toEqual([
      ['caldav', 'calendar', ['Lunch']],
    ]);
    expect(card.published.map((s) => [s.source, s.collection, parts(s).added])).toEqual([
      ['carddav', 'contacts', ['Ann Example']],
    ]);
  });
});

describe('issue 14, 2: tokens and ETags that come back', () => {
  it('PUT, DELETE, PUT of the same bytes: three signals with three ids', async () => {
    await setup({ contentTags: true });
    fx.data.addCollection(BOOK, 'contacts', 'Friends');
    const t = testContext();
    const w = watch(t, { kind: 'carddav' });
    await w.checkNow();
    const ann = vcard('ann', 'Ann Example', 'ann@example.org');
    const first = fx.data.put(BOOK, 'ann.vcf', ann);
    const tokenAfterPut = tokenOf(BOOK);
    await w.checkNow();
    fx.data.delete(BOOK, 'ann.vcf');
    await w.checkNow();
    expect(fx.data.put(BOOK, 'ann.vcf', ann).etag).toBe(first.etag);
    // The server is back at the token and ETag of the first PUT: the same transition, observed again.
    expect(tokenOf(BOOK)).toBe(tokenAfterPut);
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([
      { added: ['Ann Example'], changed: [], removed: [] },
      { added: [], changed: [], removed: ['Ann Example'] },
      { added: ['Ann Example'], changed: [], removed: [] },
    ]);
    expect(new Set(t.published.map((s) => s.id)).size).toBe(3);
  });

  it('an event edited back and forth: every edit announced', async () => {
    await setup({ contentTags: true });
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'Standup', '02'));
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    for (const day of ['03', '02', '03']) {
      fx.data.put(WORK, 'a.ics', ev('a', 'Standup', day));
      await w.checkNow();
    }
    expect(t.published.map((s) => s.changed.map((i) => [i.title, i.kind, i.start]))).toEqual([
      [['Standup', 'moved', '2026-03-03T12:00:00+00:00']],
      [['Standup', 'moved', '2026-03-02T12:00:00+00:00']],
      [['Standup', 'moved', '2026-03-03T12:00:00+00:00']],
    ]);
    expect(new Set(t.published.map((s) => s.id)).size).toBe(3);
  });

  it('the same transition replayed from the same committed state gets the same id', async () => {
    await setup({ contentTags: true });
    fx.data.addCollection(BOOK, 'contacts', 'Friends');
    // Two daemons from identical committed states stand for one daemon before and after kill -9.
    const a = testContext();
    const b = testContext();
    const wa = watch(a, { kind: 'carddav' });
    const wb = watch(b, { kind: 'carddav' });
    await wa.checkNow();
    await wb.checkNow();
    expect(b.store.get('acct', `dav:col:${BOOK}`)).toEqual(a.store.get('acct', `dav:col:${BOOK}`));
    fx.data.put(BOOK, 'ann.vcf', vcard('ann', 'Ann Example'));
    await wa.checkNow();
    await wb.checkNow();
    expect(a.published).toHaveLength(1);
    expect(b.published.map((s) => s.id)).toEqual(a.published.map((s) => s.id));
    // And the outbox drops a replayed commit of it.
    const state = a.store.get<CollectionState>('acct', `dav:col:${BOOK}`);
    expect(a.store.commit('acct', { set: { x: state }, signals: b.published })).toEqual([]);
  });
});

describe('issue 14, 3: an unknown token answered with HTTP 500', () => {
  it('after two failed token reports (the home PROPFIND answering) the collection is re-baselined', async () => {
    await setup({ staleTokens: 'server-error' });
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'Kept'));
    fx.data.put(WORK, 'b.ics', ev('b', 'Deleted while restored'));
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    // Restored from an older backup: the stored token is unknown, and the data moved on.
    fx.data.invalidateTokens(WORK);
    fx.data.delete(WORK, 'b.ics');
    fx.data.put(WORK, 'c.ics', ev('c', 'New after restore'));

    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'DAV_ERR_SERVER' } });
    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'DAV_ERR_SERVER' } });
    expect(t.published).toEqual([]);
    fx.requests.length = 0;
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
    // No third try of the dead token: the check goes straight to the initial sync.
    expect(fx.requests.filter((r) => r.method === 'REPORT' && r.body.includes('sync-token>http'))).toEqual(
      [],
    );
    expect(t.published.map(parts)).toEqual([
      { added: ['New after restore'], changed: [], removed: ['Deleted while restored'] },
    ]);
    // The fresh token works: an idle check is one PROPFIND, and the next change a normal sync.
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests.map((r) => r.method)).toEqual(['PROPFIND']);
    fx.data.put(WORK, 'd.ics', ev('d', 'Later'));
    await w.checkNow();
    expect(t.published.map((s) => parts(s).added)).toEqual([['New after restore'], ['Later']]);
  });

  it('a server whose sync REPORT fails even from the empty token is watched by ETag listings', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'First'));
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.faults.push((r) =>
      r.method === 'REPORT' && r.body.includes('sync-collection') ? { status: 500 } : undefined,
    );
    fx.data.put(WORK, 'b.ics', ev('b', 'Second'));
    await w.checkNow();
    await w.checkNow();
    expect(t.published).toEqual([]);
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
    fx.data.delete(WORK, 'a.ics');
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([
      { added: ['Second'], changed: [], removed: [] },
      { added: [], changed: [], removed: ['First'] },
    ]);
    // The token is now only a change marker: idle checks stay one PROPFIND.
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests.map((r) => r.method)).toEqual(['PROPFIND']);
    // A day later the server is mended: the next change is read with sync-collection again.
    fx.faults.length = 0;
    clock.advance(RECONCILE_MS);
    fx.data.put(WORK, 'c.ics', ev('c', 'Third'));
    await w.checkNow();
    fx.data.put(WORK, 'd.ics', ev('d', 'Fourth'));
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests.some((r) => r.method === 'REPORT' && r.body.includes('sync-token>http'))).toBe(true);
    expect(t.published.map((s) => parts(s).added).slice(2)).toEqual([['Third'], ['Fourth']]);
  });
});

describe('issue 14, 4: an expired token answered with a full listing and no error', () => {
  it('a re-listed unchanged member gives the listing away: the deletion is announced, nothing else', async () => {
    await setup({ staleTokens: 'full-listing' });
    fx.data.addCollection(BOOK, 'contacts', 'Friends');
    for (const n of ['ann', 'bob', 'cy', 'dee', 'eve'])
      fx.data.put(BOOK, `${n}.vcf`, vcard(n, n.toUpperCase()));
    const t = testContext();
    const w = watch(t, { kind: 'carddav' });
    await w.checkNow();
    fx.data.invalidateTokens(BOOK); // pruned by an admin script
    fx.data.delete(BOOK, 'bob.vcf');
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([{ added: [], changed: [], removed: ['BOB'] }]);
    await w.checkNow();
    expect(t.published).toHaveLength(1);
  });

  it('every remaining member changed as well: still reconciled, deletion and changes once', async () => {
    await setup({ staleTokens: 'full-listing' });
    fx.data.addCollection(BOOK, 'contacts', 'Friends');
    for (const n of ['ann', 'bob', 'cy']) fx.data.put(BOOK, `${n}.vcf`, vcard(n, n.toUpperCase()));
    const t = testContext();
    const w = watch(t, { kind: 'carddav' });
    await w.checkNow();
    fx.data.invalidateTokens(BOOK);
    fx.data.delete(BOOK, 'bob.vcf');
    fx.data.put(BOOK, 'ann.vcf', vcard('ann', 'ANN 2'));
    fx.data.put(BOOK, 'cy.vcf', vcard('cy', 'CY 2'));
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([{ added: [], changed: ['ANN 2', 'CY 2'], removed: ['BOB'] }]);
  });

  it('a listing no heuristic can tell from a delta is reconciled within RECONCILE_MS', async () => {
    await setup({ staleTokens: 'full-listing' });
    fx.data.addCollection(BOOK, 'contacts', 'Friends');
    for (const n of ['ann', 'bob', 'cy', 'dee']) fx.data.put(BOOK, `${n}.vcf`, vcard(n, n.toUpperCase()));
    const t = testContext();
    const w = watch(t, { kind: 'carddav' });
    await w.checkNow();
    fx.data.invalidateTokens(BOOK);
    for (const n of ['bob', 'cy', 'dee']) fx.data.delete(BOOK, `${n}.vcf`);
    fx.data.put(BOOK, 'ann.vcf', vcard('ann', 'ANN 2'));
    await w.checkNow();
    // Exactly what a real delta "ann changed" would say: the deletions are not known yet…
    expect(t.published.map(parts)).toEqual([{ added: [], changed: ['ANN 2'], removed: [] }]);
    clock.advance(RECONCILE_MS);
    fx.data.put(BOOK, 'fay.vcf', vcard('fay', 'FAY'));
    await w.checkNow();
    // …and the next change after a day lists the collection in full: announced once, late.
    expect(t.published.map(parts).slice(1)).toEqual([
      { added: ['FAY'], changed: [], removed: ['BOB', 'CY', 'DEE'] },
    ]);
  });
});

describe('issue 14, 5: other ways real servers differ', () => {
  it('weak, padded ETags in listings and strong ones in multigets: nothing announced twice', async () => {
    await setup({ looseEtags: true });
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'A'));
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.data.put(WORK, 'b.ics', ev('b', 'B'));
    await w.checkNow();
    fx.data.put(WORK, 'c.ics', ev('c', 'C'));
    await w.checkNow();
    expect(t.published.map((s) => parts(s).added)).toEqual([['B'], ['C']]);
    expect(t.published.every((s) => s.changed.length === 0)).toBe(true);
  });

  it('weak, padded ETags on a ctag-only server: the ETag diff sees only the real change', async () => {
    await setup({ looseEtags: true, syncTokens: false });
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'A'));
    fx.data.put(WORK, 'b.ics', ev('b', 'B'));
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.data.put(WORK, 'b.ics', ev('b', 'B', '09'));
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([{ added: [], changed: ['B'], removed: [] }]);
  });

  it('a token listed but the REPORT refused as unsupported (403 supported-report): ETag listings at once, no back-off', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'First'));
    fx.faults.push((r) =>
      r.method === 'REPORT' && r.body.includes('sync-collection')
        ? {
            status: 403,
            headers: { 'content-type': 'application/xml' },
            body: '<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>',
          }
        : undefined,
    );
    const t = testContext();
    const w = watch(t);
    await w.checkNow(); // the baseline falls back to an ETag listing too
    expect(w.status().state).toBe('waiting');
    fx.data.put(WORK, 'b.ics', ev('b', 'Second'));
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
    expect(t.published.map(parts)).toEqual([{ added: ['Second'], changed: [], removed: [] }]);
  });

  it('a baseline whose initial sync REPORT keeps failing with 500 falls back to ETags after two tries', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    fx.data.put(WORK, 'a.ics', ev('a', 'First'));
    fx.faults.push((r) =>
      r.method === 'REPORT' && r.body.includes('sync-collection') ? { status: 500 } : undefined,
    );
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'DAV_ERR_SERVER' } });
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
    expect(t.published).toEqual([]);
    fx.data.put(WORK, 'b.ics', ev('b', 'Second'));
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([{ added: ['Second'], changed: [], removed: [] }]);
  });

  it('a 507-truncated answer that makes no progress is refused after one more round, not 50', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.data.put(WORK, 'a.ics', ev('a', 'A'));
    const stuck =
      '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/cal/alice/work/</D:href>' +
      '<D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response><D:sync-token>stuck</D:sync-token></D:multistatus>';
    fx.faults.push((r) =>
      r.method === 'REPORT' && r.body.includes('sync-collection') ? { status: 207, body: stuck } : undefined,
    );
    fx.requests.length = 0;
    await w.checkNow();
    expect(w.status()).toMatchObject({
      state: 'backing-off',
      lastError: { code: 'DAV_ERR_BAD_MULTISTATUS', message: expect.stringMatching(/without progress/) },
    });
    expect(fx.requests.filter((r) => r.method === 'REPORT')).toHaveLength(2);
  });

  it('a sync answer without DAV:sync-token: the home token is stored, nothing lost or repeated', async () => {
    await setup({ omitSyncToken: true });
    fx.data.addCollection(WORK, 'calendar', 'Work');
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.data.put(WORK, 'a.ics', ev('a', 'A'));
    await w.checkNow();
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests.map((r) => r.method)).toEqual(['PROPFIND']);
    fx.data.delete(WORK, 'a.ics');
    await w.checkNow();
    expect(t.published.map(parts)).toEqual([
      { added: ['A'], changed: [], removed: [] },
      { added: [], changed: [], removed: ['A'] },
    ]);
  });
});

describe('issue 14, 6: sooner', () => {
  it('default schedule: a check every 30 s, idle or not — 120 home PROPFINDs in an idle hour, nothing else', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    fx.requests.length = 0;
    for (let i = 0; i < 120; i++) {
      expect(clock.armedDelay()).toBe(30_000);
      clock.advance(30_000); // fires the armed check; checkNow joins it
      await w.checkNow();
    }
    expect(fx.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      Array.from({ length: 120 }, () => 'PROPFIND /cal/alice/'),
    );
    expect(t.published).toEqual([]);
  });

  it('a resume or network change checks at once, without waiting for the timer', async () => {
    await setup();
    fx.data.addCollection(WORK, 'calendar', 'Work');
    const t = testContext();
    const w = watch(t);
    await w.checkNow();
    for (const reason of ['resume', 'network', 'manual'] as const) {
      fx.data.put(WORK, `${reason}.ics`, ev(reason, `After ${reason}`));
      const before = fx.requests.length;
      w.wake?.(reason);
      expect(clock.timers.size).toBe(0); // the poll timer was cleared, not waited for
      await w.checkNow(); // joins the check the wake queued
      expect(fx.requests.length).toBeGreaterThan(before);
    }
    expect(t.published.map((s) => parts(s).added)).toEqual([
      ['After resume'],
      ['After network'],
      ['After manual'],
    ]);
  });
});
