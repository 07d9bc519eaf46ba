import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { untilInstant } from '../../src/cli/commands/control';
import { formatStatus } from '../../src/cli/format';
import { CliError } from '../../src/cli/errors';
import { clockTime, localDateTime, nextLocalTime } from '../../src/local-time';
import type { ChangeSignal } from '../../src/signal';
import { formatSignalLines } from '../../src/text/signal-lines';

/** Issue 16: every time a person reads is local, in one format, whatever the source. */
const BERLIN = { timeZone: 'Europe/Berlin' };
const ROOT = join(import.meta.dirname, '..', '..', '..');

function signal(over: Partial<ChangeSignal>): ChangeSignal {
  return {
    id: 's1',
    accountId: 'work',
    source: 'eas',
    collection: 'calendar',
    folder: { id: 'f', name: 'Calendar' },
    added: [],
    changed: [],
    removed: [],
    observedAt: '2026-12-07T08:05:48.000Z',
    ...over,
  };
}

describe('local time in the CLI texts', () => {
  it('watch prints the local clock, not the UTC one (issue 16: 08:05:48 for 09:05:48)', () => {
    expect(clockTime('2026-12-07T08:05:48.000Z', BERLIN)).toBe('09:05:48');
    const text = formatSignalLines(signal({ added: [{ id: 'm', title: 'Hi' }], collection: 'mail' }), BERLIN);
    expect(text.split('\n')[0]).toBe('09:05:48 work Calendar: 1 new mail');
    // Summer: the offset is two hours.
    expect(clockTime('2026-07-01T08:05:48Z', BERLIN)).toBe('10:05:48');
  });

  it('event starts from EAS (UTC Z) and CalDAV (+00:00) read the same, local', () => {
    const eas = formatSignalLines(
      signal({ added: [{ id: 'e', title: 'Review', start: '2026-12-07T10:00:00.000Z', kind: 'new' }] }),
      BERLIN,
    );
    const dav = formatSignalLines(
      signal({
        source: 'caldav',
        added: [{ id: 'e', title: 'Review', start: '2026-12-07T10:00:00+00:00', kind: 'new' }],
      }),
      BERLIN,
    );
    expect(eas).toContain('  + Review — at 2026-12-07 11:00');
    expect(dav.split('\n')[1]).toBe(eas.split('\n')[1]);
    // An all-day event's date is a day, not an instant.
    expect(localDateTime('2026-12-07', BERLIN)).toBe('2026-12-07');
  });

  it('status shows start, retry and pause times local', () => {
    const text = formatStatus(
      {
        version: '0.1.0',
        pid: 1,
        startedAt: '2026-12-07T08:00:00.000Z',
        configPath: '/c.json',
        pausedUntil: '2026-12-07T17:00:00.000Z',
        demo: false,
        accounts: [
          {
            id: 'a',
            kind: 'caldav',
            enabled: true,
            status: { state: 'backing-off', since: '2026-12-07T08:00:00Z', retryAt: '2026-12-07T08:01:30Z' },
          },
        ],
      } as never,
      BERLIN,
    );
    expect(text).toContain('up since 2026-12-07 09:00:00');
    expect(text).toContain('notifications paused until 2026-12-07 18:00');
    expect(text).toContain('(retry at 2026-12-07 09:01:30)');
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });

  it('the process TZ decides when no zone is injected (a child process with TZ=Europe/Berlin)', () => {
    const script =
      "const f = await import('./daemon/src/text/signal-lines.ts');" +
      "console.log(f.formatSignalLines({id:'s',accountId:'a',source:'caldav',collection:'calendar'," +
      "folder:{id:'f',name:'Cal'},added:[{id:'e',title:'T',start:'2026-12-07T10:00:00+00:00',kind:'new'}]," +
      "changed:[],removed:[],observedAt:'2026-12-07T08:05:48.000Z'}));";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, TZ: 'Europe/Berlin' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('09:05:48 a Cal: 1 new event\n  + T — at 2026-12-07 11:00\n');
  });
});

describe('pause --until a local time', () => {
  it('takes the next occurrence: later today, else tomorrow', () => {
    // 17:00 in Berlin → 18:00 the same day.
    expect(nextLocalTime('18:00', new Date('2026-12-07T16:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-12-07T17:00:00.000Z',
    );
    // 18:30 in Berlin → 18:00 tomorrow.
    expect(nextLocalTime('18:00', new Date('2026-12-07T17:30:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-12-08T17:00:00.000Z',
    );
    // Exactly 18:00 now: the next one is tomorrow's.
    expect(nextLocalTime('18:00', new Date('2026-12-07T17:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-12-08T17:00:00.000Z',
    );
    expect(nextLocalTime('7:05', new Date('2026-12-07T16:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-12-08T06:05:00.000Z',
    );
  });

  it('lands right across DST changes', () => {
    // 29 Mar 2026: 02:00 → 03:00 in Berlin; 02:30 does not exist, the first minute after is 03:00.
    expect(nextLocalTime('02:30', new Date('2026-03-28T23:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    // 25 Oct 2026: 03:00 → 02:00; 02:30 happens twice, the first is meant.
    expect(nextLocalTime('02:30', new Date('2026-10-24T22:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    // 18:00 on the day of the change is still one day later, not an hour off.
    expect(nextLocalTime('18:00', new Date('2026-10-24T20:00:00Z'), BERLIN)?.toISOString()).toBe(
      '2026-10-25T17:00:00.000Z',
    );
  });

  it('refuses what is not a time, and a past date', () => {
    expect(nextLocalTime('25:00', new Date(), BERLIN)).toBeUndefined();
    expect(nextLocalTime('soon', new Date(), BERLIN)).toBeUndefined();
    expect(() => untilInstant('soon')).toThrow(CliError);
    expect(() => untilInstant('2020-01-01T10:00')).toThrow(/in the past/);
    expect(untilInstant('2099-01-01T10:00:00Z')).toBe('2099-01-01T10:00:00.000Z');
  });
});
