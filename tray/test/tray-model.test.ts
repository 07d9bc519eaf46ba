import { beforeAll, describe, expect, it } from 'vitest';
import type { AccountSummary, DaemonStatus } from '../../daemon/src/ipc/protocol';
import type { WatcherStatus } from '../../daemon/src/watch/types';
import type { ConnectionState } from '../src/ipc-contract';
import {
  acceptMoveLabel,
  accountWords,
  formatDelay,
  ICON_STATES,
  iconFile,
  kindLabel,
  type MenuEntry,
  pendingMove,
  type TrayModelInput,
  tomorrowMorning,
  trayModel,
  wantsSetup,
} from '../src/main/tray-model';

const NOW = new Date('2026-11-25T12:00:00Z');
const connected: ConnectionState = { state: 'connected' };

beforeAll(() => {
  // The model formats clock times in the system zone; pin it so labels are reproducible.
  process.env.TZ = 'Europe/Berlin';
});

function account(
  id: string,
  status: Partial<WatcherStatus>,
  extra: Partial<AccountSummary> = {},
): AccountSummary {
  return {
    id,
    kind: 'exchange',
    name: id[0]!.toUpperCase() + id.slice(1),
    enabled: true,
    unseen: 0,
    status: { state: 'waiting', since: NOW.toISOString(), ...status },
    ...extra,
  };
}

function daemon(accounts: AccountSummary[], extra: Partial<DaemonStatus> = {}): DaemonStatus {
  return {
    version: '0.1.0',
    pid: 1,
    startedAt: NOW.toISOString(),
    configPath: '/tmp/config.toml',
    demo: false,
    accounts,
    ...extra,
  };
}

function input(partial: Partial<TrayModelInput>): TrayModelInput {
  return {
    connection: connected,
    now: NOW,
    theme: 'light',
    platform: 'linux',
    openAtLogin: false,
    ...partial,
  };
}

function labels(menu: MenuEntry[]): string[] {
  return menu.map((e) => (e.type === 'separator' ? '---' : e.label));
}

function item(menu: MenuEntry[], label: string) {
  const found = menu.find((e) => e.type === 'item' && e.label === label);
  if (found?.type !== 'item') throw new Error(`no menu item "${label}" in ${labels(menu).join(' | ')}`);
  return found;
}

describe('account state in plain words', () => {
  it('says how many changes are new, or that the account is up to date', () => {
    expect(accountWords(account('inbox', {}, { unseen: 3 }), NOW)).toBe('3 new');
    expect(accountWords(account('inbox', {}), NOW)).toBe('up to date');
    expect(accountWords(account('inbox', { state: 'syncing' }), NOW)).toBe('checking…');
  });
  it('says a password is needed', () => {
    expect(accountWords(account('inbox', { state: 'needs-credentials' }), NOW)).toBe('needs password');
  });
  it('asks an OAuth2 account (Exchange or IMAP with Microsoft 365) to sign in, not for a password', () => {
    const m365 = account('m365', { state: 'needs-credentials' }, { kind: 'imap', auth: 'oauth2' });
    expect(accountWords(m365, NOW)).toBe('needs sign-in');
    const menu = trayModel(input({ daemon: daemon([m365]) })).menu;
    expect(item(menu, 'M365 — needs sign-in').action).toEqual({
      kind: 'open-settings',
      page: 'accounts',
      accountId: 'm365',
    });
    const fm = account('fm', { state: 'needs-credentials' }, { kind: 'jmap', auth: 'basic' });
    expect(accountWords(fm, NOW)).toBe('needs password');
  });
  it('asks a JMAP account with an API token for a new token, not a password (issue 17)', () => {
    const fm = account('fm', { state: 'needs-credentials' }, { kind: 'jmap', auth: 'token' });
    expect(accountWords(fm, NOW)).toBe('needs new token');
  });
  it('names every account kind as people know it, and a kind it does not know by its own name', () => {
    expect(['exchange', 'caldav', 'carddav', 'imap', 'jmap', 'ews'].map(kindLabel)).toEqual([
      'Exchange',
      'CalDAV',
      'CardDAV',
      'IMAP',
      'JMAP',
      'ews',
    ]);
  });
  it('counts down to the next attempt when offline', () => {
    const retryAt = new Date(NOW.getTime() + 40_000).toISOString();
    expect(accountWords(account('inbox', { state: 'backing-off', retryAt }), NOW)).toBe(
      'offline, retrying in 40 s',
    );
    expect(accountWords(account('inbox', { state: 'backing-off' }), NOW)).toBe('offline, retrying');
  });
  it('names connecting, stopped and disabled accounts', () => {
    expect(accountWords(account('a', { state: 'connecting' }), NOW)).toBe('connecting…');
    expect(accountWords(account('a', { state: 'stopped' }), NOW)).toBe('stopped');
    expect(accountWords(account('a', { state: 'disabled' }), NOW)).toBe('disabled');
    expect(accountWords(account('a', {}, { enabled: false, unseen: 4 }), NOW)).toBe('disabled');
  });
  it('rounds delays up and switches units', () => {
    expect(formatDelay(0)).toBe('1 s');
    expect(formatDelay(40_000)).toBe('40 s');
    expect(formatDelay(59_001)).toBe('1 min');
    expect(formatDelay(150_000)).toBe('3 min');
    expect(formatDelay(2 * 3600_000)).toBe('2 h');
  });
});

describe('icon', () => {
  it('is quiet when every account is up to date', () => {
    const m = trayModel(input({ daemon: daemon([account('work', {})]) }));
    expect(m.state).toBe('quiet');
    expect(m.tooltip).toBe('Tidings — all quiet');
  });
  it('shows new changes since the user last looked', () => {
    const m = trayModel(
      input({ daemon: daemon([account('work', {}, { unseen: 2 }), account('home', {}, { unseen: 1 })]) }),
    );
    expect(m.state).toBe('new');
    expect(m.tooltip).toBe('Tidings — 3 new');
  });
  it('asks for attention when an account needs a password or is offline, before anything else', () => {
    const retryAt = new Date(NOW.getTime() + 90_000).toISOString();
    const m = trayModel(
      input({
        daemon: daemon(
          [
            account('work', { state: 'needs-credentials' }),
            account('home', { state: 'backing-off', retryAt }, { unseen: 1 }),
          ],
          { pausedUntil: new Date(NOW.getTime() + 3600_000).toISOString() },
        ),
      }),
    );
    expect(m.state).toBe('attention');
    expect(m.tooltip).toBe(
      'Tidings — Work needs password · Home offline, retrying in 2 min · 1 new · paused until 14:00',
    );
  });
  it('shows paused over new while the daemon is paused, and ignores a pause that has ended', () => {
    const paused = trayModel(
      input({
        daemon: daemon([account('work', {}, { unseen: 5 })], { pausedUntil: '2026-11-25T13:00:00Z' }),
      }),
    );
    expect(paused.state).toBe('paused');
    const ended = trayModel(
      input({
        daemon: daemon([account('work', {}, { unseen: 5 })], { pausedUntil: '2026-11-25T11:00:00Z' }),
      }),
    );
    expect(ended.state).toBe('new');
  });
  it('ignores unseen counts of disabled accounts', () => {
    const m = trayModel(input({ daemon: daemon([account('work', {}, { enabled: false, unseen: 5 })]) }));
    expect(m.state).toBe('quiet');
  });
  it('uses template images on macOS and a theme variant elsewhere, for every state', () => {
    for (const s of ICON_STATES) {
      expect(iconFile(s, 'dark', 'darwin')).toBe(`tray-${s}Template.png`);
      expect(iconFile(s, 'dark', 'linux')).toBe(`tray-${s}-dark.png`);
      expect(iconFile(s, 'light', 'win32')).toBe(`tray-${s}-light.png`);
    }
    const m = trayModel(input({ theme: 'dark', platform: 'darwin', daemon: daemon([]) }));
    expect(m.icon).toBe('tray-quietTemplate.png');
  });
});

describe('menu', () => {
  it('lists each account with its state, then pause, settings and quit', () => {
    const retryAt = new Date(NOW.getTime() + 40_000).toISOString();
    const m = trayModel(
      input({
        daemon: daemon([
          account('inbox', {}, { unseen: 3, webUrl: 'https://mail.example.org/' }),
          account('calendar', { state: 'needs-credentials' }, { kind: 'caldav' }),
          account('contacts', { state: 'backing-off', retryAt }, { kind: 'carddav' }),
        ]),
      }),
    );
    expect(labels(m.menu)).toEqual([
      'Inbox — 3 new',
      'Calendar — needs password',
      'Contacts — offline, retrying in 40 s',
      'Mark all as seen',
      'Check now',
      '---',
      'Pause notifications for an hour',
      'Pause notifications until tomorrow',
      '---',
      'Settings…',
      'Start Tidings at login',
      'Quit Tidings',
    ]);
    expect(item(m.menu, 'Inbox — 3 new').action).toEqual({ kind: 'open-account', accountId: 'inbox' });
    // The broken account leads to the place where the password is entered.
    expect(item(m.menu, 'Calendar — needs password').action).toEqual({
      kind: 'open-settings',
      page: 'accounts',
      accountId: 'calendar',
    });
    expect(item(m.menu, 'Pause notifications for an hour').action).toEqual({ kind: 'pause', minutes: 60 });
    expect(item(m.menu, 'Quit Tidings').action).toEqual({ kind: 'quit' });
    // Issue 14: an immediate check instead of waiting for the DAV poll.
    expect(item(m.menu, 'Check now').action).toEqual({ kind: 'check' });
  });

  it('offers "Check now" only when some account is enabled', () => {
    expect(labels(trayModel(input({ daemon: daemon([]) })).menu)).not.toContain('Check now');
    const off = trayModel(input({ daemon: daemon([account('old', {}, { enabled: false })]) }));
    expect(labels(off.menu)).not.toContain('Check now');
  });
  it('pauses until 08:00 local the next day', () => {
    const m = trayModel(input({ daemon: daemon([]) }));
    const pause = item(m.menu, 'Pause notifications until tomorrow').action;
    if (pause?.kind !== 'pause-until') throw new Error('expected pause-until');
    expect(pause.until).toBe(tomorrowMorning(NOW));
    const until = new Date(pause.until);
    expect(until.getHours()).toBe(8);
    expect(until.getDate()).toBe(26);
  });
  it('offers resume while paused', () => {
    const m = trayModel(input({ daemon: daemon([], { pausedUntil: '2026-11-26T07:00:00Z' }) }));
    expect(labels(m.menu)).toContain('Notifications paused until 08:00');
    expect(item(m.menu, 'Resume notifications')).toMatchObject({ enabled: true, action: { kind: 'resume' } });
    expect(labels(m.menu)).not.toContain('Pause notifications for an hour');
  });
  it('invites to add an account when there is none', () => {
    const m = trayModel(input({ daemon: daemon([]) }));
    expect(m.tooltip).toBe('Tidings — no accounts yet');
    expect(item(m.menu, 'Add an account…').action).toEqual({ kind: 'open-settings', page: 'accounts' });
  });
  it('shows the start-at-login switch as it is', () => {
    expect(item(trayModel(input({ daemon: daemon([]) })).menu, 'Start Tidings at login').checked).toBe(false);
    const on = item(
      trayModel(input({ daemon: daemon([]), openAtLogin: true })).menu,
      'Start Tidings at login',
    );
    expect(on).toMatchObject({ checked: true, action: { kind: 'toggle-open-at-login' } });
  });
  describe('a server move waiting for the user (issue 13 §2)', () => {
    const move = {
      from: 'https://mail.example.org/Microsoft-Server-ActiveSync',
      to: 'https://mail2.example.net/Microsoft-Server-ActiveSync',
    };
    it('offers "Accept move to <origin>", which calls the daemon for that account', () => {
      const m = trayModel(
        input({ daemon: daemon([account('work', { state: 'needs-confirmation', move })]) }),
      );
      expect(labels(m.menu).slice(0, 3)).toEqual([
        'Work — moved — confirm the new server',
        'Accept move to https://mail2.example.net',
        'Check now',
      ]);
      expect(item(m.menu, 'Accept move to https://mail2.example.net')).toMatchObject({
        enabled: true,
        action: { kind: 'accept-move', accountId: 'work' },
      });
      // The account's own line leads to its card in settings (where the button is focused), not its web UI.
      expect(item(m.menu, 'Work — moved — confirm the new server').action).toEqual({
        kind: 'open-settings',
        page: 'accounts',
        accountId: 'work',
      });
      expect(m.state).toBe('attention');
    });
    it('says when the move would send the password unencrypted, and names the account when there are several', () => {
      const down = { from: move.from, to: 'http://mail.example.org:8080/Microsoft-Server-ActiveSync' };
      const m = trayModel(
        input({
          daemon: daemon([account('home', {}), account('work', { state: 'needs-confirmation', move: down })]),
        }),
      );
      expect(labels(m.menu)).toContain('Work: accept move to http://mail.example.org:8080 (unencrypted)');
      expect(pendingMove(account('work', { state: 'needs-confirmation', move: down }))).toEqual({
        from: 'https://mail.example.org',
        to: 'http://mail.example.org:8080',
        downgrade: true,
      });
    });
    it('offers nothing without a move, for a disabled account, or once the account runs again', () => {
      const plain = trayModel(input({ daemon: daemon([account('work', { state: 'needs-confirmation' })]) }));
      expect(labels(plain.menu).some((l) => l.includes('ccept move'))).toBe(false);
      const off = trayModel(
        input({
          daemon: daemon([account('work', { state: 'needs-confirmation', move }, { enabled: false })]),
        }),
      );
      expect(labels(off.menu).some((l) => l.includes('ccept move'))).toBe(false);
      expect(acceptMoveLabel(account('work', { state: 'waiting', move }))).toBeUndefined();
    });
  });
  it('greys out disabled accounts', () => {
    const m = trayModel(input({ daemon: daemon([account('old', {}, { enabled: false })]) }));
    expect(item(m.menu, 'Old — disabled').enabled).toBe(false);
  });
});

describe('when the daemon cannot be reached', () => {
  const unreachable: ConnectionState = {
    state: 'unreachable',
    attempt: 3,
    reason: 'The daemon is not running',
    retryAt: new Date(NOW.getTime() + 8_000).toISOString(),
  };
  it('says so plainly in the icon, tooltip and menu, and offers to retry now', () => {
    // A stale status from before the loss must not be shown as if it were current.
    const m = trayModel(
      input({ connection: unreachable, daemon: daemon([account('work', {}, { unseen: 3 })]) }),
    );
    expect(m.state).toBe('attention');
    expect(m.tooltip).toBe('Tidings — cannot reach the daemon; retrying in 8 s');
    expect(labels(m.menu).slice(0, 3)).toEqual([
      'Cannot reach the Tidings daemon',
      'The daemon is not running — retrying in 8 s',
      'Retry now',
    ]);
    expect(labels(m.menu)).not.toContain('Work — 3 new');
    expect(item(m.menu, 'Retry now').action).toEqual({ kind: 'reconnect' });
    // Pausing is the daemon's job: not offered while it cannot hear us.
    expect(item(m.menu, 'Pause notifications for an hour').enabled).toBe(false);
    expect(item(m.menu, 'Settings…').enabled).toBe(true);
  });
  it('stays calm on the first connect and shows attention on reconnects', () => {
    const first = trayModel(input({ connection: { state: 'connecting', attempt: 0 } }));
    expect(first.state).toBe('quiet');
    expect(first.tooltip).toBe('Tidings — connecting to the daemon…');
    expect(labels(first.menu)[0]).toBe('Connecting to the Tidings daemon…');
    expect(trayModel(input({ connection: { state: 'connecting', attempt: 2 } })).state).toBe('attention');
  });
});

describe('first start (issue 16)', () => {
  it('opens "Add an account" when the daemon runs with no accounts, never for the demo or before connecting', () => {
    expect(wantsSetup({ connection: connected, daemon: daemon([]) })).toBe(true);
    expect(wantsSetup({ connection: connected, daemon: daemon([], { demo: true }) })).toBe(false);
    expect(wantsSetup({ connection: connected, daemon: daemon([account('work', {})]) })).toBe(false);
    expect(wantsSetup({ connection: connected })).toBe(false);
    expect(wantsSetup({ connection: { state: 'connecting', attempt: 0 }, daemon: daemon([]) })).toBe(false);
  });

  it('says the daemon is not installed, instead of "retrying", when none can be started', () => {
    const m = trayModel({
      connection: {
        state: 'unreachable',
        attempt: 3,
        reason: 'The daemon is not running',
        retryAt: NOW.toISOString(),
      },
      now: NOW,
      theme: 'light',
      platform: 'linux',
      openAtLogin: false,
      daemonProblem: 'The Tidings daemon is not installed: …',
    });
    expect(m.state).toBe('attention');
    expect(m.tooltip).toBe('Tidings — the daemon is not installed');
    const labels = m.menu.flatMap((e) => (e.type === 'item' ? [e.label] : []));
    expect(labels.slice(0, 3)).toEqual([
      'The Tidings daemon is not installed',
      'Install it: npm install -g tidings',
      'Retry now',
    ]);
    expect(labels.join(' ')).not.toContain('retrying in');
  });
});
