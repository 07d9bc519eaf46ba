import { el } from '@tidings/wbxml';
import { describe, expect, it } from 'vitest';
import { commonStatusError } from '../../src/eas/errors';
import { applyHierarchy, type EasFolder, watchedFolders } from '../../src/eas/folders';
import { eventKind, summarize, toIso, toPreview } from '../../src/eas/items';
import { folderSignal } from '../../src/eas/signals';
import { httpError } from '../../src/eas/transport';
import { negotiateVersion, parseVersionList } from '../../src/eas/versions';
import { isValidDeviceId, newDeviceId } from '../../src/eas/device';

describe('versions', () => {
  it('picks the highest common version', () => {
    expect(negotiateVersion(parseVersionList('2.5,12.0,12.1,14.0,14.1'))).toBe('14.1');
    expect(negotiateVersion(parseVersionList(' 16.1 , 14.1'))).toBe('16.1');
    expect(() => negotiateVersion(['2.5'])).toThrow(
      expect.objectContaining({ code: 'EAS_ERR_NO_COMMON_VERSION' }),
    );
  });
});

describe('HTTP status table', () => {
  const cases: [number, Record<string, string>, string][] = [
    [401, {}, 'EAS_ERR_AUTH'],
    [403, {}, 'EAS_ERR_FORBIDDEN'],
    [449, {}, 'EAS_ERR_NEEDS_PROVISION'],
    [451, {}, 'EAS_ERR_REDIRECT'],
    [456, {}, 'EAS_ERR_ACCOUNT_BLOCKED'],
    [457, {}, 'EAS_ERR_PASSWORD_EXPIRED'],
    [507, {}, 'EAS_ERR_MAILBOX_FULL'],
    [503, {}, 'EAS_ERR_SERVER'],
    [503, { 'x-ms-asthrottle': 'CommandFrequency' }, 'EAS_ERR_THROTTLED'],
    [502, {}, 'EAS_ERR_SERVER'],
    [400, {}, 'EAS_ERR_HTTP'],
  ];
  it.each(cases)('HTTP %i %j → %s', (status, headers, code) => {
    const e = httpError('Sync', status, headers, 'server says no');
    expect(e).toMatchObject({ code, httpStatus: status, command: 'Sync', name: 'HttpStatusError' });
  });
  it('Retry-After in seconds and as a date', () => {
    expect(httpError('Ping', 503, { 'retry-after': '30' }, '').retryAfterMs).toBe(30_000);
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(
      httpError('Ping', 503, { 'retry-after': 'Wed, 25 Nov 2026 12:01:00 GMT' }, '', now).retryAfterMs,
    ).toBe(60_000);
  });
});

describe('common statuses (MS-ASCMD 2.2.2)', () => {
  it.each([
    [110, 'EAS_ERR_SERVER'],
    [113, 'EAS_ERR_MAILBOX_FULL'],
    [129, 'EAS_ERR_ACCOUNT_BLOCKED'],
    [132, 'EAS_ERR_SYNC_STATE'],
    [139, 'EAS_ERR_POLICY_REFUSED'],
    [142, 'EAS_ERR_NEEDS_PROVISION'],
    [144, 'EAS_ERR_NEEDS_PROVISION'],
    [177, 'EAS_ERR_STATUS'],
  ])('Status %i → %s', (status, code) => {
    expect(commonStatusError('Sync', status)).toMatchObject({
      code,
      easStatus: status,
      name: 'EasStatusError',
    });
  });
  it('command-specific values are left to the command', () => {
    expect(commonStatusError('Ping', 7)).toBeUndefined();
  });
});

describe('item summaries', () => {
  it('dates: compact and ISO forms', () => {
    expect(toIso('20261201T090000Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(toIso('2026-12-01T09:00:00.000Z')).toBe('2026-12-01T09:00:00.000Z');
    expect(toIso('garbage')).toBeUndefined();
  });
  it('previews: whitespace collapsed, HTML tags dropped, at most 200 chars', () => {
    expect(toPreview('<p>Hi\n\n there</p>')).toBe('Hi there');
    expect(toPreview('y'.repeat(500))?.length).toBe(200);
    expect(toPreview('   ')).toBeUndefined();
  });
  it('meeting status → kind', () => {
    expect(eventKind(3, true)).toBe('invitation');
    expect(eventKind(0, true)).toBe('new');
    expect(eventKind(3, false)).toBe('updated');
    expect(eventKind(7, false)).toBe('cancelled');
  });
  it('a meeting request in the Inbox is an invitation; a cancellation message is cancelled', () => {
    const data = (cls: string) =>
      el('AirSync', 'ApplicationData', el('Email', 'Subject', 's'), el('Email', 'MessageClass', cls));
    expect(summarize('mail', '1', data('IPM.Schedule.Meeting.Request'), true).kind).toBe('invitation');
    expect(summarize('mail', '1', data('IPM.Schedule.Meeting.Canceled'), true).kind).toBe('cancelled');
    expect(summarize('mail', '1', data('IPM.Note'), true).kind).toBeUndefined();
    const bare = el('AirSync', 'ApplicationData', el('Email', 'Subject', 's'), el('Email', 'MeetingRequest'));
    expect(summarize('mail', '1', bare, true).kind).toBe('invitation');
  });
  it('contacts: FileAs, else first and last name, else the address', () => {
    const c = (...x: ReturnType<typeof el>[]) =>
      summarize('contacts', '1', el('AirSync', 'ApplicationData', ...x), true);
    expect(c(el('Contacts', 'FileAs', 'Doe, Jane')).title).toBe('Doe, Jane');
    expect(c(el('Contacts', 'FirstName', 'Jane'), el('Contacts', 'LastName', 'Doe')).title).toBe('Jane Doe');
    expect(c(el('Contacts', 'Email1Address', 'j@d')).title).toBe('j@d');
  });
});

describe('folders', () => {
  const f = (id: string, type: number, name = id): EasFolder => ({ id, parentId: '0', name, type });
  const all = [f('5', 5, 'Sent'), f('12', 12, 'Projects'), f('9', 9), f('8', 8), f('2', 2), f('7', 7)];
  it('default watch set in priority order Inbox, Calendar, Contacts, Tasks; trimmed by MaxFolders', () => {
    expect(watchedFolders(all, undefined).map((x) => x.id)).toEqual(['2', '8', '9', '7']);
    expect(watchedFolders(all, undefined, 3).map((x) => x.id)).toEqual(['2', '8', '9']);
  });
  it('named folders, by name or id, never a non-collection folder', () => {
    expect(watchedFolders(all, ['projects', '2', 'Sent']).map((x) => x.id)).toEqual(['2', '12']);
  });
  it('applies adds, renames and deletes', () => {
    const next = applyHierarchy(all, {
      added: [f('30', 13, 'Team')],
      updated: [f('8', 8, 'Cal')],
      deleted: ['5'],
    });
    expect(next.find((x) => x.id === '8')?.name).toBe('Cal');
    expect(next.some((x) => x.id === '5')).toBe(false);
    expect(next.some((x) => x.id === '30')).toBe(true);
  });
});

describe('signals and device ids', () => {
  const round = {
    fromKey: '4',
    syncKey: '5',
    baseline: false,
    done: false,
    added: [{ id: 'a' }],
    changed: [],
    removed: [],
  };
  const folder = { id: '2', name: 'Inbox', collection: 'mail' as const };
  it('the same change from the same key has the same id; another key or item does not', () => {
    const at = new Date();
    const id = folderSignal('w', folder, round, at)?.id;
    expect(folderSignal('w', folder, round, new Date(0))?.id).toBe(id);
    expect(folderSignal('w', folder, { ...round, fromKey: '3' }, at)?.id).not.toBe(id);
    expect(folderSignal('w', folder, { ...round, added: [{ id: 'b' }] }, at)?.id).not.toBe(id);
    expect(folderSignal('v', folder, round, at)?.id).not.toBe(id);
  });
  it('a baseline round or an empty round gives no signal', () => {
    expect(folderSignal('w', folder, { ...round, baseline: true }, new Date())).toBeUndefined();
    expect(folderSignal('w', folder, { ...round, added: [] }, new Date())).toBeUndefined();
  });
  it('device ids: ≤ 32 alphanumerics, unique', () => {
    const a = newDeviceId();
    expect(isValidDeviceId(a)).toBe(true);
    expect(a).toHaveLength(32);
    expect(newDeviceId()).not.toBe(a);
    expect(isValidDeviceId('has-dash')).toBe(false);
  });
});
