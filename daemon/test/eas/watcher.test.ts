import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT_ID, type Harness, harness, pingParked, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('EAS watcher against the fixture server', () => {
  it('sets a baseline silently, then turns a new mail, event and contact into one signal each', async () => {
    h = await harness({ start: false });
    h.server.addMail('alice', { subject: 'already there', from: 'old@example.test' });
    h.watcher.start();
    await pingParked(h);
    expect(h.signals).toEqual([]);
    expect(h.statuses.map((s) => s.state)).toEqual(
      expect.arrayContaining(['connecting', 'syncing', 'waiting']),
    );

    h.server.addMail('alice', {
      subject: 'Quarterly numbers',
      from: '"Bob Smith" <bob@example.test>',
      body: `Hello Alice,\n\n  the numbers are in. ${'x'.repeat(400)}`,
    });
    const mail = await waitFor(() => h?.signals.find((s) => s.collection === 'mail'), 'mail signal');
    expect(mail.added).toHaveLength(1);
    expect(mail.added[0]).toMatchObject({
      title: 'Quarterly numbers',
      from: 'Bob Smith <bob@example.test>',
      unread: true,
    });
    expect(mail.added[0]?.preview?.startsWith('Hello Alice, the numbers are in.')).toBe(true);
    expect(mail.added[0]?.preview?.length).toBeLessThanOrEqual(200);
    expect(mail.folder).toEqual({ id: '2', name: 'Inbox' });
    expect(mail.accountId).toBe(ACCOUNT_ID);

    await pingParked(h);
    h.server.addEvent('alice', {
      subject: 'Design review',
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T10:00:00Z',
      location: 'Room 4',
      organizerName: 'Carol',
      organizerEmail: 'carol@example.test',
      meetingStatus: 3,
    });
    const event = await waitFor(() => h?.signals.find((s) => s.collection === 'calendar'), 'event signal');
    expect(event.added[0]).toMatchObject({
      title: 'Design review',
      start: '2026-12-01T09:00:00.000Z',
      end: '2026-12-01T10:00:00.000Z',
      location: 'Room 4',
      from: 'Carol <carol@example.test>',
      kind: 'invitation',
    });

    await pingParked(h);
    h.server.addContact('alice', { firstName: 'Ada', lastName: 'Lovelace' });
    const contact = await waitFor(
      () => h?.signals.find((s) => s.collection === 'contacts'),
      'contact signal',
    );
    expect(contact.added[0]?.title).toBe('Ada Lovelace');
    expect(h.signals).toHaveLength(3);
  });

  it('announces an update and a cancellation of an event as such', async () => {
    h = await harness({ start: false });
    const id = h.server.addEvent('alice', {
      subject: 'Standup',
      start: '2026-12-02T08:00:00Z',
      meetingStatus: 3,
    });
    h.watcher.start();
    await pingParked(h);
    h.server.changeItem('alice', id, { subject: 'Standup (moved)' });
    const updated = await waitFor(() => h?.signals[0], 'update');
    expect(updated.changed[0]).toMatchObject({ title: 'Standup (moved)', kind: 'updated' });
    await pingParked(h);
    h.server.changeItem('alice', id, { meetingStatus: 7 });
    const cancelled = await waitFor(() => h?.signals[1], 'cancellation');
    expect(cancelled.changed[0]?.kind).toBe('cancelled');
  });

  it('check() (tidings check): syncs every watched folder and Pings again, resolving once the Ping is out', async () => {
    h = await harness();
    await pingParked(h);
    const before = h.server.requests.length;
    const watched = h.watcher.status().folders?.length ?? 0;
    expect(watched).toBeGreaterThan(0);
    await h.watcher.check?.();
    expect(h.watcher.status().state).toBe('waiting');
    await waitFor(
      () => h?.server.requests.at(-1)?.command === 'Ping' && h.server.parkedPings > 0,
      'the new Ping',
    );
    const after = h.server.requests.slice(before).map((r) => r.command);
    // The open Ping ended, a Sync per folder, a new Ping — on the same session: no OPTIONS,
    // no FolderSync.
    expect(after).toEqual([...Array.from({ length: watched }, () => 'Sync'), 'Ping']);
    expect(h.server.requests.slice(0, before).at(-1)).toMatchObject({ command: 'Ping' });
    expect(h.watcher.status().state).toBe('waiting');
    expect(h.watcher.armedTimer).toBeUndefined();
    expect(h.signals).toEqual([]);
  });

  it('stop() ends the hanging Ping, leaves no timer armed and is idempotent', async () => {
    h = await harness();
    await pingParked(h);
    await h.watcher.stop();
    await h.watcher.stop();
    expect(h.watcher.status().state).toBe('stopped');
    expect(h.watcher.armedTimer).toBeUndefined();
    expect(h.timers.pending.size).toBe(0);
    await waitFor(() => h?.server.parkedPings === 0, 'server sees the Ping gone');
  });
});
