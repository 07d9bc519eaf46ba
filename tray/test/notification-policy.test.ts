import { describe, expect, it } from 'vitest';
import type { ChangeSignal, ItemSummary } from '../../daemon/src/signal';
import { allowedExternalUrl } from '../src/main/external-url';
import { clickTarget, decideNotification, type PolicyContext } from '../src/main/notification-policy';
import { senderName } from '../src/main/notification-text';
import { inQuietHours, localTime } from '../src/main/quiet-hours';
import type { QuietHours, TraySettings } from '../src/tray-settings';

// Wednesday 25 Nov 2026, 13:00 in Berlin.
const NOW = new Date('2026-11-25T12:00:00Z');
const ZONE = 'Europe/Berlin';
const OFF: QuietHours = { enabled: false, start: '22:00', end: '07:00', days: [] };

function signal(
  collection: ChangeSignal['collection'],
  items: Partial<Record<'added' | 'changed' | 'removed', ItemSummary[]>>,
): ChangeSignal {
  return {
    id: `sig-${collection}`,
    accountId: 'work',
    source: collection === 'mail' ? 'eas' : 'caldav',
    collection,
    folder: { id: 'f1', name: collection === 'mail' ? 'Inbox' : 'Team' },
    added: items.added ?? [],
    changed: items.changed ?? [],
    removed: items.removed ?? [],
    observedAt: NOW.toISOString(),
  };
}

function ctx(extra: Partial<PolicyContext> = {}, settings: Partial<TraySettings> = {}): PolicyContext {
  return {
    now: NOW,
    timeZone: ZONE,
    locale: 'en-GB',
    account: { id: 'work', name: 'Work', kind: 'exchange' },
    settings: { quietHours: OFF, rules: [], ...settings },
    ...extra,
  };
}

function shown(s: ChangeSignal, c: PolicyContext = ctx()) {
  const d = decideNotification(s, c);
  if (!d.show) throw new Error(`expected a notification, got suppressed: ${d.reason}`);
  return d;
}

const mail = (n: number) =>
  signal('mail', {
    added: Array.from({ length: n }, (_, i) => ({
      id: `m${i}`,
      from: i === 0 ? '"Alice Example" <alice@example.org>' : `user${i}@example.org`,
      title: `Subject ${i}`,
    })),
  });

describe('mail', () => {
  it('shows sender and subject of a single new message', () => {
    const d = shown(mail(1));
    expect(d).toMatchObject({
      title: 'Alice Example',
      body: 'Subject 0',
      signalId: 'sig-mail',
      accountId: 'work',
    });
  });
  it('summarises a burst in one notification with the first lines and a count of the rest', () => {
    const d = shown(mail(5));
    expect(d.title).toBe('5 new messages in Inbox — Work');
    expect(d.body).toBe(
      'Alice Example: Subject 0\nuser1@example.org: Subject 1\nuser2@example.org: Subject 2\nand 2 more',
    );
  });
  it('fills in a missing sender or subject with words, not "undefined"', () => {
    const d = shown(signal('mail', { added: [{ id: 'x' }] }));
    expect(d).toMatchObject({ title: 'New message', body: '(no subject)' });
  });
  it('does not announce read-flag changes or deletions', () => {
    const d = decideNotification(signal('mail', { changed: [{ id: 'a' }], removed: [{ id: 'b' }] }), ctx());
    expect(d).toEqual({ show: false, reason: 'nothing-to-announce' });
  });
  it('parses sender names from the usual address forms', () => {
    expect(senderName('Bob <bob@example.org>')).toBe('Bob');
    expect(senderName('<bob@example.org>')).toBe('bob@example.org');
    expect(senderName('bob@example.org')).toBe('bob@example.org');
    expect(senderName('  ')).toBeUndefined();
  });
});

describe('calendar', () => {
  const event = (extra: Partial<ItemSummary>): ItemSummary => ({
    id: 'e1',
    title: 'Team sync',
    start: '2026-11-27T13:00:00Z',
    end: '2026-11-27T14:00:00Z',
    ...extra,
  });
  it('shows a new event with its local day and time and place', () => {
    const d = shown(signal('calendar', { added: [event({ location: 'Room 4' })] }));
    expect(d.title).toBe('New event: Team sync');
    expect(d.body).toBe('Fri 27 Nov, 14:00–15:00\nRoom 4');
  });
  it('says moved, cancelled, invitation and updated', () => {
    expect(shown(signal('calendar', { changed: [event({ kind: 'moved' })] })).title).toBe('Moved: Team sync');
    expect(shown(signal('calendar', { changed: [event({ kind: 'cancelled' })] })).title).toBe(
      'Cancelled: Team sync',
    );
    expect(shown(signal('calendar', { changed: [event({})] })).title).toBe('Updated: Team sync');
    const invite = shown(
      signal('calendar', { added: [event({ kind: 'invitation', from: 'Carol <c@example.org>' })] }),
    );
    expect(invite.title).toBe('Invitation: Team sync');
    expect(invite.body).toBe('Fri 27 Nov, 14:00–15:00\nfrom Carol');
  });
  it('treats a removed event as cancelled', () => {
    expect(shown(signal('calendar', { removed: [event({})] })).title).toBe('Cancelled: Team sync');
  });
  it('lists several changes in one notification', () => {
    const d = shown(
      signal('calendar', {
        added: [event({ id: 'a' })],
        removed: [event({ id: 'b', title: 'Lunch', start: undefined })],
      }),
    );
    expect(d.title).toBe('2 calendar changes in Team — Work');
    expect(d.body).toBe('New event: Team sync — Fri 27 Nov, 14:00\nCancelled: Lunch');
  });
});

describe('contacts and tasks', () => {
  it('names the contact', () => {
    expect(shown(signal('contacts', { added: [{ id: 'c', title: 'Dora Diaz' }] }))).toMatchObject({
      title: 'New contact',
      body: 'Dora Diaz',
    });
    expect(shown(signal('contacts', { changed: [{ id: 'c', title: 'Dora Diaz' }] })).title).toBe(
      'Updated contact',
    );
    expect(shown(signal('contacts', { removed: [{ id: 'c' }] }))).toMatchObject({
      title: 'Removed contact',
      body: '(no name)',
    });
  });
  it('names the task', () => {
    expect(shown(signal('tasks', { added: [{ id: 't', title: 'File taxes' }] }))).toMatchObject({
      title: 'New task',
      body: 'File taxes',
    });
  });
});

describe('pause, quiet hours and rules', () => {
  it('stays silent while the daemon is paused, and speaks once the pause is over', () => {
    expect(decideNotification(mail(1), ctx({ pausedUntil: '2026-11-25T13:00:00Z' }))).toEqual({
      show: false,
      reason: 'paused',
    });
    expect(decideNotification(mail(1), ctx({ pausedUntil: '2026-11-25T11:59:59Z' })).show).toBe(true);
  });
  it("honours the daemon's quiet hours flag", () => {
    expect(decideNotification(mail(1), ctx({ daemonQuiet: true }))).toEqual({
      show: false,
      reason: 'quiet-hours',
    });
  });
  it("honours the tray's quiet hours in the user's zone", () => {
    const lunch: QuietHours = { enabled: true, start: '12:30', end: '13:30', days: [] };
    expect(decideNotification(mail(1), ctx({}, { quietHours: lunch }))).toEqual({
      show: false,
      reason: 'quiet-hours',
    });
    // 13:00 in Berlin is 12:00 UTC: the same window read in UTC has not started yet.
    expect(decideNotification(mail(1), ctx({ timeZone: 'UTC' }, { quietHours: lunch })).show).toBe(true);
  });
  it('mutes by the first matching rule, and a notify rule before it wins', () => {
    const mute = { collection: 'mail' as const, folder: 'inbox', action: 'mute' as const };
    expect(decideNotification(mail(1), ctx({}, { rules: [mute] }))).toEqual({
      show: false,
      reason: 'muted-by-rule',
    });
    const boss = { from: 'alice@', action: 'notify' as const };
    expect(decideNotification(mail(1), ctx({}, { rules: [boss, mute] })).show).toBe(true);
    const otherAccount = { accountId: 'home', action: 'mute' as const };
    expect(decideNotification(mail(1), ctx({}, { rules: [otherAccount] })).show).toBe(true);
    const calendarOnly = { collection: 'calendar' as const, action: 'mute' as const };
    expect(decideNotification(mail(1), ctx({}, { rules: [calendarOnly] })).show).toBe(true);
  });
});

describe('quiet hours across midnight', () => {
  const night: QuietHours = { enabled: true, start: '22:00', end: '07:00', days: [5] }; // starts Fridays
  it('covers the late evening of a start day and the early morning after it', () => {
    expect(inQuietHours(night, { weekday: 5, minutes: 23 * 60 })).toBe(true);
    expect(inQuietHours(night, { weekday: 6, minutes: 6 * 60 })).toBe(true);
  });
  it('does not cover the morning of the start day or the end minute itself', () => {
    expect(inQuietHours(night, { weekday: 5, minutes: 6 * 60 })).toBe(false);
    expect(inQuietHours(night, { weekday: 6, minutes: 7 * 60 })).toBe(false);
    expect(inQuietHours(night, { weekday: 6, minutes: 23 * 60 })).toBe(false);
  });
  it('is off when disabled', () => {
    expect(inQuietHours({ ...night, enabled: false }, { weekday: 5, minutes: 23 * 60 })).toBe(false);
  });
  it('reads the wall clock of the given zone', () => {
    expect(localTime(NOW, ZONE)).toEqual({ weekday: 3, minutes: 13 * 60 });
    expect(localTime(new Date('2026-11-25T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      weekday: 4,
      minutes: 8 * 60 + 30,
    });
  });
});

describe('click target', () => {
  it("opens the account's web UI when configured", () => {
    const d = shown(
      mail(1),
      ctx({
        account: { id: 'work', name: 'Work', kind: 'exchange', webUrl: 'https://mail.example.org/owa/' },
      }),
    );
    expect(d.click).toBe('https://mail.example.org/owa/');
    expect(clickTarget(signal('calendar', {}), 'https://cal.example.org/')).toBe('https://cal.example.org/');
  });
  it('falls back to the default mail client for mail and to nothing for other collections', () => {
    expect(shown(mail(1)).click).toBe('mailto:');
    expect(clickTarget(signal('calendar', {}), undefined)).toBeUndefined();
    expect(clickTarget(signal('contacts', {}), undefined)).toBeUndefined();
  });
  it('never opens a web URL outside the scheme allow-list', () => {
    expect(clickTarget(mail(1), 'javascript:alert(1)')).toBe('mailto:');
    expect(clickTarget(mail(1), 'file:///etc/passwd')).toBe('mailto:');
    expect(clickTarget(signal('calendar', {}), 'http://cal.example.org/')).toBeUndefined();
  });
  it('allows only https and mailto, without embedded credentials', () => {
    expect(allowedExternalUrl('https://example.org/a?b#c')).toBe('https://example.org/a?b#c');
    expect(allowedExternalUrl('mailto:someone@example.org')).toBe('mailto:someone@example.org');
    for (const bad of [
      'http://example.org',
      'file:///tmp/x',
      'javascript:alert(1)',
      'smb://host/share',
      'https://u:p@example.org/',
      'not a url',
      undefined,
    ]) {
      expect(allowedExternalUrl(bad)).toBeUndefined();
    }
  });
});
