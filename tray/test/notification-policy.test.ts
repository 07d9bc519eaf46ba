import { describe, expect, it } from 'vitest';
import type { ChangeSignal, ItemSummary } from '../../daemon/src/signal';
import { allowedExternalUrl } from '../src/main/external-url';
import {
  clickTarget,
  decideNotification,
  MARK_READ_MAX,
  markReadAction,
  type PolicyContext,
} from '../src/main/notification-policy';

const NOW = new Date('2026-11-25T12:00:00Z');
const ZONE = 'Europe/Berlin';

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

function ctx(extra: Partial<PolicyContext> = {}): PolicyContext {
  return { timeZone: ZONE, locale: 'en-GB', account: { id: 'work' }, ...extra };
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

// The words come from the daemon's formatter (daemon/src/sinks/format.ts, tested there); these
// tests check that the tray's notification carries what the issue asks for.
describe('mail', () => {
  it('shows sender and subject of a single new message', () => {
    const d = shown(mail(1));
    expect(d.title).toContain('Alice Example');
    expect(d.title).toContain('Subject 0');
    expect(d.title).not.toContain('alice@example.org');
    expect(d).toMatchObject({ signalId: 'sig-mail', accountId: 'work' });
  });
  it('summarises a burst in one notification', () => {
    const d = shown(mail(5));
    expect(d.title).toBe('5 new mails in Inbox');
    expect(d.body.split('\n')[0]).toBe('Alice Example — Subject 0');
    expect(d.body).toContain('and 1 more');
  });
  it('does not announce read-flag changes or deletions', () => {
    const d = decideNotification(signal('mail', { changed: [{ id: 'a' }], removed: [{ id: 'b' }] }), ctx());
    expect(d).toEqual({ show: false, reason: 'nothing-to-announce' });
  });
  it('announces only the new mail of a mixed signal', () => {
    const s = { ...mail(1), removed: [{ id: 'gone', title: 'Old' }] };
    const d = shown(s);
    expect(d.title).toContain('Subject 0');
    expect(`${d.title}${d.body}`).not.toContain('Old');
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
  it('shows the event title and its local time and place', () => {
    const d = shown(signal('calendar', { added: [event({ location: 'Room 4' })] }));
    expect(d.title).toBe('New event: Team sync');
    // 13:00 UTC is 14:00 in Berlin.
    expect(d.body).toContain('14:00');
    expect(d.body).toContain('15:00');
    expect(d.body).toContain('Room 4');
  });
  it('says moved and cancelled', () => {
    expect(shown(signal('calendar', { changed: [event({ kind: 'moved' })] })).title).toBe('Moved: Team sync');
    expect(shown(signal('calendar', { changed: [event({ kind: 'cancelled' })] })).title).toBe(
      'Cancelled: Team sync',
    );
    expect(
      shown(signal('calendar', { added: [event({ kind: 'invitation', from: 'Carol <c@example.org>' })] }))
        .body,
    ).toContain('from Carol');
  });
  it('announces a deleted event too: a cancelled meeting matters as much as a new one', () => {
    expect(shown(signal('calendar', { removed: [event({})] })).title).toContain('Team sync');
  });
});

describe('contacts and tasks', () => {
  it('names the contact', () => {
    expect(shown(signal('contacts', { added: [{ id: 'c', title: 'Dora Diaz' }] })).title).toContain(
      'Dora Diaz',
    );
  });
  it('names the task', () => {
    expect(shown(signal('tasks', { added: [{ id: 't', title: 'File taxes' }] })).title).toContain(
      'File taxes',
    );
  });
});

describe('click target', () => {
  it("opens the account's web UI when configured", () => {
    const d = shown(
      mail(1),
      ctx({
        account: { id: 'work', webUrl: 'https://mail.example.org/owa/' },
        openCommand: 'thunderbird -mail',
      }),
    );
    // The account's own web URL is more specific than the global mail client.
    expect(d.click).toEqual({ kind: 'url', url: 'https://mail.example.org/owa/' });
    expect(clickTarget(signal('calendar', {}), 'https://cal.example.org/')).toEqual({
      kind: 'url',
      url: 'https://cal.example.org/',
    });
  });
  it('else runs the configured open command, with what was clicked in its environment (issue 16)', () => {
    const d = shown(mail(1), ctx({ openCommand: ' thunderbird -mail ' }));
    expect(d.click).toEqual({
      kind: 'command',
      command: 'thunderbird -mail',
      env: expect.objectContaining({ TIDINGS_ACCOUNT: 'work', TIDINGS_COLLECTION: 'mail' }),
    });
  });
  it('never a bare mailto: composer; with nothing configured a click only dismisses', () => {
    expect(shown(mail(1)).click).toBeUndefined();
    expect(clickTarget(mail(1), 'mailto:')).toBeUndefined();
    expect(clickTarget(signal('calendar', {}), undefined)).toBeUndefined();
    expect(clickTarget(signal('contacts', {}), undefined)).toBeUndefined();
  });
  it('never opens a web URL outside the scheme allow-list', () => {
    expect(clickTarget(mail(1), 'javascript:alert(1)')).toBeUndefined();
    expect(clickTarget(mail(1), 'file:///etc/passwd', 'evolution')).toMatchObject({ kind: 'command' });
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

describe('"Mark as read" on an Exchange mail notification (issue 16)', () => {
  const unread = (id: string, extra: Partial<ItemSummary> = {}): ItemSummary => ({
    id,
    from: 'bob@example.org',
    title: `Subject ${id}`,
    unread: true,
    ...extra,
  });

  it('offers it on macOS and Windows, for the unread new mail, calling items.markRead with its ids', () => {
    const s = signal('mail', { added: [unread('2:1'), unread('2:2', { unread: false }), unread('2:3')] });
    for (const platform of ['darwin', 'win32']) {
      const d = shown(s, ctx({ platform }));
      expect(d.actions).toEqual([
        {
          kind: 'mark-read',
          label: 'Mark as read',
          params: { accountId: 'work', folderId: 'f1', itemIds: ['2:1', '2:3'] },
        },
      ]);
    }
  });

  it('keeps Linux to the click (Electron shows no notification buttons there)', () => {
    const s = signal('mail', { added: [unread('2:1')] });
    expect(shown(s, ctx({ platform: 'linux' })).actions).toEqual([]);
    expect(shown(s, ctx()).actions).toEqual([]);
    expect(markReadAction(s, 'linux')).toBeUndefined();
  });

  it('is not offered where the protocol has no read flag or nothing is unread', () => {
    const dav = {
      ...signal('calendar', { added: [{ id: '/cal/1.ics', title: 'Standup' }] }),
      source: 'caldav' as const,
    };
    expect(shown(dav, ctx({ platform: 'darwin' })).actions).toEqual([]);
    const imap = { ...signal('mail', { added: [unread('1')] }), source: 'imap' as const };
    expect(markReadAction(imap, 'darwin')).toBeUndefined();
    const readAlready = signal('mail', { added: [unread('2:1', { unread: false })] });
    expect(shown(readAlready, ctx({ platform: 'darwin' })).actions).toEqual([]);
    // Only the new mail is marked: changed (read elsewhere) and removed items are not.
    const mixed = signal('mail', {
      added: [unread('2:5')],
      changed: [unread('2:6')],
      removed: [{ id: '2:7' }],
    });
    expect(markReadAction(mixed, 'win32')?.params.itemIds).toEqual(['2:5']);
  });

  it('marks at most what one items.markRead call takes', () => {
    const many = signal('mail', { added: Array.from({ length: 150 }, (_, i) => unread(`2:${i}`)) });
    const ids = markReadAction(many, 'darwin')?.params.itemIds ?? [];
    expect(ids).toHaveLength(MARK_READ_MAX);
    expect(ids[0]).toBe('2:0');
  });
});
