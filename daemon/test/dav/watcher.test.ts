import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DavFixture, type DavFixtureOptions, startDavFixture } from '../../../fixtures/src/dav-server';
import type { CollectionState } from '../../src/dav/changes';
import type { PushInbox } from '../../src/dav/push';
import { SECOND_SETTLE_MS } from '../../src/dav/second-token';
import { createDavWatcher, type DavWatcher } from '../../src/watch/dav-watcher';
import { davAccount, FakeClock, testContext, vcard, vevent } from './support';

let fx: DavFixture;
let agent: Agent;
let clock: FakeClock;
let t: ReturnType<typeof testContext>;
let watcher: DavWatcher | undefined;

const WORK = '/cal/alice/work/';
const lunch = (start: string, end: string, extra: { status?: string } = {}) =>
  vevent({
    uid: 'lunch',
    summary: 'Lunch',
    start,
    end,
    location: 'Canteen',
    organizer: 'Bob <bob@example.org>',
    ...extra,
  });

async function setup(opts: DavFixtureOptions = {}) {
  fx = await startDavFixture(opts);
  fx.data.addCollection(WORK, 'calendar', 'Work', { pushTopic: 'topic-work' });
  fx.data.put(
    WORK,
    'old.ics',
    vevent({ uid: 'old', summary: 'Old', start: '20260101T090000Z', end: '20260101T100000Z' }),
  );
}

function start(
  extra: Parameters<typeof davAccount>[1] = {},
  deps: { push?: PushInbox; maxBodyBytes?: number } = {},
): DavWatcher {
  watcher = createDavWatcher(davAccount(fx.url, extra), t.ctx, {
    dispatcher: agent,
    clock,
    timeZone: 'UTC',
    random: () => 0.5,
    ...deps,
  });
  return watcher;
}

beforeEach(() => {
  agent = new Agent();
  clock = new FakeClock();
  t = testContext();
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  expect(clock.timers.size).toBe(0);
  await agent.close();
  await fx.close();
});

describe('DAV watcher against the fixture server', () => {
  it('first check: discovery then a baseline, announcing nothing', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    expect(t.published).toEqual([]);
    expect(w.status()).toMatchObject({
      state: 'waiting',
      folders: [{ id: WORK, name: 'Work', collection: 'calendar' }],
    });
    expect(t.store.get('acct', `dav:col:${WORK}`)).toMatchObject({
      items: { [`${WORK}old.ics`]: { title: 'Old' } },
    });
  });

  it('an idle check costs exactly one PROPFIND Depth: 1 per home', async () => {
    await setup();
    fx.data.addCollection('/cal/alice/home/', 'calendar', 'Home');
    fx.data.addCollection('/cal/alice/todo/', 'tasks', 'Todo');
    const w = start();
    w.start();
    await w.checkNow();
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests.map((r) => [r.method, r.path, r.depth])).toEqual([['PROPFIND', '/cal/alice/', '1']]);
  });

  it('idle checks ask only for change markers; names refresh hourly; a new collection is listed in full at once', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests[0]?.body).toContain('sync-token');
    expect(fx.requests[0]?.body).not.toContain('displayname');

    fx.data.addCollection('/cal/alice/new/', 'tasks', 'Chores');
    await w.checkNow();
    expect(w.status().folders?.map((f) => [f.name, f.collection])).toEqual([
      ['Work', 'calendar'],
      ['Chores', 'tasks'],
    ]);

    const work = fx.data.collections.get(WORK);
    if (work) work.name = 'Office';
    await w.checkNow();
    expect(w.status().folders?.[0]?.name).toBe('Work');
    clock.advance(3600_000);
    await w.checkNow();
    expect(w.status().folders?.[0]?.name).toBe('Office');
    expect(t.published).toEqual([]);
  });

  it('announces a new, a moved and a cancelled event with exact summaries', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();

    fx.data.put(WORK, 'lunch.ics', lunch('20260302T120000Z', '20260302T130000Z'));
    await w.checkNow();
    fx.data.put(WORK, 'lunch.ics', lunch('20260303T120000Z', '20260303T130000Z'));
    await w.checkNow();
    fx.data.delete(WORK, 'lunch.ics');
    await w.checkNow();

    const item = {
      id: `${WORK}lunch.ics`,
      title: 'Lunch',
      location: 'Canteen',
      from: 'Bob <bob@example.org>',
    };
    expect(t.published.map((s) => [s.source, s.collection, s.folder, s.added, s.changed, s.removed])).toEqual(
      [
        [
          'caldav',
          'calendar',
          { id: WORK, name: 'Work' },
          [{ ...item, start: '2026-03-02T12:00:00+00:00', end: '2026-03-02T13:00:00+00:00', kind: 'new' }],
          [],
          [],
        ],
        [
          'caldav',
          'calendar',
          { id: WORK, name: 'Work' },
          [],
          [{ ...item, start: '2026-03-03T12:00:00+00:00', end: '2026-03-03T13:00:00+00:00', kind: 'moved' }],
          [],
        ],
        [
          'caldav',
          'calendar',
          { id: WORK, name: 'Work' },
          [],
          [],
          [
            {
              ...item,
              start: '2026-03-03T12:00:00+00:00',
              end: '2026-03-03T13:00:00+00:00',
              kind: 'cancelled',
            },
          ],
        ],
      ],
    );
    expect(new Set(t.published.map((s) => s.id)).size).toBe(3);
    // After the change the next check comes at the floor (30 s).
    expect(clock.armedDelay()).toBe(30_000);
  });

  it('STATUS:CANCELLED is a cancellation; a recurring event with overrides gives one item', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.data.put(
      WORK,
      'standup.ics',
      vevent({
        uid: 's',
        summary: 'Standup',
        start: '20260302T080000Z',
        end: '20260302T081500Z',
        rrule: 'FREQ=DAILY;COUNT=30',
        overrides: [
          {
            recurrenceId: '20260303T080000Z',
            start: '20260303T090000Z',
            end: '20260303T091500Z',
            summary: 'Late',
          },
          {
            recurrenceId: '20260304T080000Z',
            start: '20260304T090000Z',
            end: '20260304T091500Z',
            summary: 'Late',
          },
        ],
      }),
    );
    await w.checkNow();
    fx.data.put(
      WORK,
      'old.ics',
      vevent({
        uid: 'old',
        summary: 'Old',
        start: '20260101T090000Z',
        end: '20260101T100000Z',
        status: 'CANCELLED',
      }),
    );
    await w.checkNow();
    expect(t.published[0]?.added).toEqual([
      {
        id: `${WORK}standup.ics`,
        title: 'Standup',
        start: '2026-03-02T08:00:00+00:00',
        end: '2026-03-02T08:15:00+00:00',
        kind: 'new',
      },
    ]);
    expect(t.published[1]?.changed.map((i) => [i.title, i.kind])).toEqual([['Old', 'cancelled']]);
  });

  it('an invalid sync token re-baselines without announcing the collection, but keeps real changes', async () => {
    await setup();
    for (let i = 0; i < 5; i++)
      fx.data.put(
        WORK,
        `e${i}.ics`,
        vevent({ uid: `e${i}`, summary: `E${i}`, start: '20260301T090000Z', end: '20260301T100000Z' }),
      );
    const w = start();
    w.start();
    await w.checkNow();
    fx.data.invalidateTokens(WORK);
    await w.checkNow();
    expect(t.published).toEqual([]);
    expect(
      fx.requests.some((r) => r.method === 'REPORT' && r.body.includes('<D:sync-token></D:sync-token>')),
    ).toBe(true);

    fx.data.invalidateTokens(WORK);
    fx.data.put(
      WORK,
      'new.ics',
      vevent({ uid: 'n', summary: 'Fresh', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    await w.checkNow();
    expect(t.published.map((s) => [s.added.map((i) => i.title), s.changed.length, s.removed.length])).toEqual(
      [[['Fresh'], 0, 0]],
    );
  });

  it('falls back to ETag comparison when the server has no sync tokens (ctag gates it)', async () => {
    await setup({ syncTokens: false });
    const w = start();
    w.start();
    await w.checkNow();
    fx.requests.length = 0;
    await w.checkNow();
    expect(fx.requests).toHaveLength(1);
    fx.data.put(
      WORK,
      'x.ics',
      vevent({ uid: 'x', summary: 'X', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    fx.data.delete(WORK, 'old.ics');
    await w.checkNow();
    expect(t.published.map((s) => [s.added.map((i) => i.title), s.removed.map((i) => i.title)])).toEqual([
      [['X'], ['Old']],
    ]);
    expect(fx.requests.filter((r) => r.method === 'REPORT' && r.body.includes('sync-collection'))).toEqual(
      [],
    );
  });

  it('diffs ETags on every check when the server has neither tokens nor ctags', async () => {
    await setup({ syncTokens: false, ctag: false });
    const w = start();
    w.start();
    await w.checkNow();
    fx.data.put(
      WORK,
      'old.ics',
      vevent({ uid: 'old', summary: 'Old', start: '20260105T090000Z', end: '20260105T100000Z' }),
    );
    await w.checkNow();
    expect(t.published[0]?.changed.map((i) => [i.title, i.kind])).toEqual([['Old', 'moved']]);
  });

  it('a restart with the same store announces nothing twice, and ids are deterministic', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.data.put(
      WORK,
      'a.ics',
      vevent({ uid: 'a', summary: 'A', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    await w.checkNow();
    await w.stop();
    const again = start();
    again.start();
    await again.checkNow();
    expect(t.published).toHaveLength(1);
    expect(t.store.pending().map((s) => s.id)).toEqual([t.published[0]?.id]);
  });

  it('reads the secret once per check, however many requests the check makes', async () => {
    await setup();
    for (let i = 0; i < 3; i++) fx.data.addCollection(`/cal/alice/c${i}/`, 'calendar', `C${i}`);
    let reads = 0;
    t.ctx.secret = {
      get: async () => {
        reads++;
        return 'secret';
      },
    };
    const w = start();
    w.start();
    await w.checkNow();
    expect(fx.requests.length).toBeGreaterThan(5);
    expect(reads).toBe(1);
    await w.checkNow();
    expect(reads).toBe(2);
  });

  it('announces contact changes by display name for a CardDAV account', async () => {
    await setup();
    fx.data.addCollection('/card/alice/contacts/', 'contacts', 'Contacts');
    const w = start({ kind: 'carddav' });
    w.start();
    await w.checkNow();
    fx.data.put('/card/alice/contacts/', 'ada.vcf', vcard('ada', 'Ada Lovelace', 'ada@example.org'));
    await w.checkNow();
    expect(t.published.map((s) => [s.source, s.collection, s.added])).toEqual([
      [
        'carddav',
        'contacts',
        [{ id: '/card/alice/contacts/ada.vcf', title: 'Ada Lovelace', preview: 'ada@example.org' }],
      ],
    ]);
  });
});

describe('DAV watcher states and faults', () => {
  it('503 with Retry-After → backing-off for exactly that long, then recovers', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.faults.push(() => ({ status: 503, headers: { 'retry-after': '120' } }));
    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'DAV_ERR_RATE_LIMITED' } });
    expect(w.status().retryAt).toBe(new Date(clock.now() + 120_000).toISOString());
    expect(clock.armedDelay()).toBe(120_000);
    fx.faults.length = 0;
    clock.advance(120_000);
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
  });

  it('500 and dropped connections back off with growing delays', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.faults.push(() => ({ status: 500 }));
    await w.checkNow();
    const first = clock.armedDelay() ?? 0;
    fx.faults[0] = () => 'drop';
    await w.checkNow();
    expect(w.status().lastError?.code).toBe('DAV_ERR_NETWORK');
    expect(clock.armedDelay()).toBeGreaterThan(first);
  });

  it('401 → needs-credentials with no retry timer; wake(manual) tries again', async () => {
    const users = { alice: 'other' };
    await setup({ users });
    const w = start();
    w.start();
    await w.checkNow();
    expect(w.status()).toMatchObject({
      state: 'needs-credentials',
      lastError: { code: 'DAV_ERR_UNAUTHORIZED' },
    });
    expect(clock.timers.size).toBe(0);
    expect(JSON.stringify(t.statuses)).not.toContain('secret');
    users.alice = 'secret';
    w.wake?.('manual');
    await w.checkNow();
    expect(w.status().state).toBe('waiting');
  });

  it('hostile XML and a broken multistatus change nothing: no commit, no signal', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    const before = t.store.get('acct', `dav:col:${WORK}`);
    fx.data.put(
      WORK,
      'a.ics',
      vevent({ uid: 'a', summary: 'A', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    fx.faults.push((r) =>
      r.method === 'REPORT'
        ? {
            status: 207,
            body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><multistatus xmlns="DAV:">&e;</multistatus>',
          }
        : undefined,
    );
    await w.checkNow();
    expect(w.status().lastError?.code).toBe('DAV_ERR_XML_HOSTILE');
    fx.faults[0] = (r) =>
      r.method === 'REPORT' ? { status: 207, body: '<multistatus xmlns="DAV:"><response>' } : undefined;
    await w.checkNow();
    expect(w.status().lastError?.code).toBe('DAV_ERR_XML_MALFORMED');
    expect(t.published).toEqual([]);
    expect(t.store.get('acct', `dav:col:${WORK}`)).toEqual(before);
  });

  it('a body beyond the cap changes nothing: clear error, no commit, no signal', async () => {
    await setup();
    const w = start({}, { maxBodyBytes: 64 * 1024 });
    w.start();
    await w.checkNow();
    const before = t.store.get('acct', `dav:col:${WORK}`);
    fx.data.put(
      WORK,
      'a.ics',
      vevent({ uid: 'a', summary: 'A', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    fx.faults.push((r) =>
      r.method === 'REPORT' ? { status: 207, body: Buffer.alloc(1024 * 1024, 'x') } : undefined,
    );
    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'backing-off', lastError: { code: 'DAV_ERR_BODY_TOO_LARGE' } });
    expect(w.status().lastError?.message).toMatch(/exceeds 65536 bytes/);
    expect(t.published).toEqual([]);
    expect(t.store.get('acct', `dav:col:${WORK}`)).toEqual(before);
  });

  it('stop is idempotent, clears the timer and lets a running check finish', async () => {
    await setup();
    const w = start();
    w.start();
    const running = w.checkNow();
    await w.stop();
    await w.stop();
    await running;
    expect(w.status().state).toBe('stopped');
    expect(clock.timers.size).toBe(0);
  });

  it('a secret source that fails → needs-credentials (DAV_ERR_SECRET), nothing sent', async () => {
    await setup();
    t.ctx.secret = {
      get: async () => {
        throw new Error('keyring locked');
      },
    };
    const w = start();
    w.start();
    await w.checkNow();
    expect(w.status()).toMatchObject({ state: 'needs-credentials', lastError: { code: 'DAV_ERR_SECRET' } });
    expect(fx.requests).toEqual([]);
    expect(clock.timers.size).toBe(0);
  });

  it('an unreadable CA file → disabled with DAV_ERR_CONFIG naming the field', async () => {
    await setup();
    watcher = createDavWatcher(
      davAccount(fx.url, { tls: { ca: '/nonexistent/ca.pem', rejectUnauthorized: true } }),
      t.ctx,
      { clock },
    );
    watcher.start();
    await watcher.checkNow();
    expect(watcher.status()).toMatchObject({ state: 'disabled', lastError: { code: 'DAV_ERR_CONFIG' } });
    expect(watcher.status().lastError?.message).toContain('tls.ca');
    expect(clock.timers.size).toBe(0);
  });

  it('a disabled account stays disabled and sends nothing', async () => {
    await setup();
    const w = start({ enabled: false });
    w.start();
    await w.checkNow();
    expect(w.status().state).toBe('disabled');
    expect(fx.requests).toEqual([]);
  });
});

describe('invitations (RFC 6638: the user is an attendee, someone else organises)', () => {
  const meeting = (o: { seq: number; partstat: string; start?: string; status?: string }) =>
    vevent({
      uid: 'review',
      summary: 'Review',
      start: o.start ?? '20260310T090000Z',
      end: o.start ? o.start.replace('T09', 'T10') : '20260310T100000Z',
      organizer: 'Bob <bob@example.org>',
      ...(o.status ? { status: o.status } : {}),
      lines: [
        `SEQUENCE:${o.seq}`,
        'ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org',
        `ATTENDEE;CN=Alice;PARTSTAT=${o.partstat};RSVP=TRUE:mailto:alice@example.org`,
      ],
    });

  it('new invitation → invitation; organizer revision → updated, move → moved; cancel → cancelled', async () => {
    await setup({ addresses: { alice: ['mailto:Alice@example.org', '/principals/alice/'] } });
    const w = start();
    w.start();
    await w.checkNow();
    expect(t.store.get('acct', 'dav:discovery')).toMatchObject({
      addresses: ['mailto:Alice@example.org', '/principals/alice/'],
    });

    const steps: [string, string][] = [
      ['invitation', meeting({ seq: 0, partstat: 'NEEDS-ACTION' })],
      ['updated', meeting({ seq: 0, partstat: 'ACCEPTED' })], // Alice answered elsewhere
      ['updated', meeting({ seq: 1, partstat: 'NEEDS-ACTION' })], // Bob revised: re-asks, not a new invitation
      ['moved', meeting({ seq: 2, partstat: 'NEEDS-ACTION', start: '20260311T090000Z' })],
      [
        'cancelled',
        meeting({ seq: 3, partstat: 'NEEDS-ACTION', start: '20260311T090000Z', status: 'CANCELLED' }),
      ],
    ];
    for (const [, data] of steps) {
      fx.data.put(WORK, 'review.ics', data);
      await w.checkNow();
    }
    // Alice's own meeting with Bob as attendee is just new.
    fx.data.put(
      WORK,
      'own.ics',
      vevent({
        uid: 'own',
        summary: 'Own',
        start: '20260312T090000Z',
        end: '20260312T100000Z',
        organizer: 'Alice <alice@example.org>',
        lines: ['ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org'],
      }),
    );
    await w.checkNow();

    expect(
      t.published.map((s) => [...s.added, ...s.changed].map((i) => [i.id, i.kind, i.title, i.from])),
    ).toEqual([
      ...steps.map(([kind]) => [[`${WORK}review.ics`, kind, 'Review', 'Bob <bob@example.org>']]),
      [[`${WORK}own.ics`, 'new', 'Own', 'Alice <alice@example.org>']],
    ]);
    expect(t.published[0]?.added.map((i) => i.kind)).toEqual(['invitation']);
  });

  it('a discovery stored before addresses were read is redone once, then invitations are told', async () => {
    await setup();
    t.store.commit('acct', {
      set: { 'dav:discovery': { principal: '/principals/alice/', homes: [`${fx.url}/cal/alice/`] } },
    });
    const w = start();
    w.start();
    await w.checkNow();
    await w.checkNow();
    expect(fx.requests.filter((r) => r.path === '/principals/alice/')).toHaveLength(1);
    fx.data.put(WORK, 'review.ics', meeting({ seq: 0, partstat: 'NEEDS-ACTION' }));
    await w.checkNow();
    expect(t.published.flatMap((s) => s.added.map((i) => i.kind))).toEqual(['invitation']);
  });
});

describe('whole-second sync tokens (SOGo-style fixture)', () => {
  const ev = (uid: string) =>
    vevent({ uid, summary: uid, start: '20260301T090000Z', end: '20260301T100000Z' });
  const items = () => t.published.flatMap((s) => [...s.added, ...s.changed, ...s.removed].map((i) => i.id));

  it('two changes in one second with a check between: each announced exactly once', async () => {
    await setup({ secondTokens: true, now: clock.now });
    const w = start();
    w.start();
    // Baseline in the second of old.ics's write: its token is kept as '' (initial sync) and one
    // extra check is armed just after that second; it re-lists silently and stores the token.
    await w.checkNow();
    expect(t.store.get<CollectionState>('acct', `dav:col:${WORK}`)?.token).toBe('');
    expect(clock.armedDelay()).toBe(SECOND_SETTLE_MS);
    clock.advance(SECOND_SETTLE_MS);
    await w.checkNow();
    expect(t.published).toEqual([]);
    const settled = t.store.get<CollectionState>('acct', `dav:col:${WORK}`)?.token;
    expect(settled).toBe(fx.data.token(fx.data.collections.get(WORK)!));
    expect(clock.armedDelay()).toBeGreaterThan(SECOND_SETTLE_MS);

    clock.advance(10_000);
    fx.data.put(WORK, 'a.ics', ev('a'));
    await w.checkNow();
    expect(items()).toEqual([`${WORK}a.ics`]);
    // Same second: from the token the server just gave, b would never be listed.
    fx.data.put(WORK, 'b.ics', ev('b'));
    expect(
      fx.data.since(fx.data.collections.get(WORK)!, fx.data.token(fx.data.collections.get(WORK)!)),
    ).toEqual({
      changed: [],
      removed: [],
    });
    expect(t.store.get<CollectionState>('acct', `dav:col:${WORK}`)?.token).toBe(settled);
    expect(clock.armedDelay()).toBe(SECOND_SETTLE_MS);

    const before = fx.requests.length;
    clock.advance(SECOND_SETTLE_MS); // the extra check fires from the timer
    await w.checkNow();
    expect(fx.requests.length).toBeGreaterThan(before);
    expect(items()).toEqual([`${WORK}a.ics`, `${WORK}b.ics`]);
    expect(t.published.map((s) => s.added.map((i) => i.kind))).toEqual([['new'], ['new']]);
    expect(new Set(t.published.map((s) => s.id)).size).toBe(2);
    // Settled: the stored token is the server's, and later checks repeat nothing.
    expect(t.store.get<CollectionState>('acct', `dav:col:${WORK}`)?.token).toBe(
      fx.data.token(fx.data.collections.get(WORK)!),
    );
    expect(clock.armedDelay()).toBe(30_000);
    clock.advance(5_000);
    await w.checkNow();
    expect(items()).toEqual([`${WORK}a.ics`, `${WORK}b.ics`]);
  });

  it('opaque tokens pay nothing: the returned token is stored and no extra check is armed', async () => {
    await setup();
    const w = start();
    w.start();
    await w.checkNow();
    fx.data.put(WORK, 'a.ics', ev('a'));
    await w.checkNow();
    expect(items()).toEqual([`${WORK}a.ics`]);
    expect(t.store.get<CollectionState>('acct', `dav:col:${WORK}`)?.token).toBe(
      fx.data.token(fx.data.collections.get(WORK)!),
    );
    expect(clock.armedDelay()).toBe(30_000);
  });
});

describe('WebDAV-Push strategy', () => {
  it('registers with the inbox endpoint, polls only at the maximum, and checks on a push message', async () => {
    await setup({ push: true });
    const listeners = new Set<(body: string) => void>();
    const inbox: PushInbox = {
      endpoint: 'http://127.0.0.1:9/up/abc',
      subscribe: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const w = start({}, { push: inbox });
    w.start();
    await w.checkNow();
    expect(fx.pushRegistrations.get(WORK)).toBe('http://127.0.0.1:9/up/abc');
    expect(w.status().detail).toMatch(/WebDAV-Push/);
    expect(clock.armedDelay()).toBe(900_000);

    fx.data.put(
      WORK,
      'p.ics',
      vevent({ uid: 'p', summary: 'Pushed', start: '20260301T090000Z', end: '20260301T100000Z' }),
    );
    const checked = new Promise<void>((resolve) => {
      const orig = t.ctx.publish;
      t.ctx.publish = (s) => {
        orig(s);
        resolve();
      };
    });
    for (const l of listeners)
      l(
        '<?xml version="1.0"?><push-message xmlns="https://bitfire.at/webdav-push"><topic>topic-work</topic></push-message>',
      );
    await checked;
    expect(t.published.map((s) => s.added.map((i) => i.title))).toEqual([['Pushed']]);
    await w.stop();
    expect(listeners.size).toBe(0);
  });
});
