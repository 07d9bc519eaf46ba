import pino from 'pino';
import type { DavAccount } from '../../src/config/account';
import type { ChangeSignal } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import type { Clock as WatchClock } from '../../src/clock';
import type { WatcherContext, WatcherStatus } from '../../src/watch/types';

/** A manual clock: timers fire only when a test advances time, and armed timers can be counted. */
export class FakeClock implements WatchClock {
  #now: number;
  #seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 10, 25, 12, 0, 0)) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.#seq;
    this.timers.set(id, { at: this.#now + ms, fn });
    return id;
  };

  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number);
  };

  /** Delay of the one armed timer, ms from now. */
  armedDelay(): number | undefined {
    const [t] = [...this.timers.values()];
    return t === undefined ? undefined : t.at - this.#now;
  }

  /** Moves time forward and fires the timers that came due. */
  advance(ms: number): void {
    this.#now += ms;
    for (const [id, t] of [...this.timers].sort(([, a], [, b]) => a.at - b.at)) {
      if (t.at <= this.#now) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

/** A watcher context over a MemoryStore that records what was published and every status. */
export function testContext(accountId = 'acct') {
  const store = new MemoryStore();
  const published: ChangeSignal[] = [];
  const statuses: WatcherStatus[] = [];
  const ctx: WatcherContext = {
    accountId,
    store,
    log: pino({ level: 'silent' }),
    secret: { get: async () => 'secret' },
    publish: (s) => published.push(...s),
    setStatus: (s) => statuses.push(s),
  };
  return { ctx, store, published, statuses };
}

export function davAccount(url: string, extra: Partial<DavAccount> = {}): DavAccount {
  return {
    id: 'acct',
    kind: 'caldav',
    enabled: true,
    url,
    username: 'alice',
    secret: { env: 'UNUSED' },
    ...extra,
  };
}

/** A VEVENT resource; times are UTC wall times "YYYYMMDDTHHMMSSZ" or with a TZID. */
export function vevent(o: {
  uid: string;
  summary: string;
  start: string;
  end: string;
  tzid?: string;
  location?: string;
  organizer?: string;
  status?: string;
  rrule?: string;
  /** Further VEVENT lines as they are (ATTENDEE, SEQUENCE …). */
  lines?: string[];
  overrides?: { recurrenceId: string; start: string; end: string; summary: string }[];
}): string {
  const t = (prop: string, v: string) => (o.tzid ? `${prop};TZID=${o.tzid}:${v}` : `${prop}:${v}`);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//tidings//test//EN',
    'BEGIN:VEVENT',
    `UID:${o.uid}`,
  ];
  lines.push('DTSTAMP:20260101T000000Z', t('DTSTART', o.start), t('DTEND', o.end), `SUMMARY:${o.summary}`);
  if (o.location) lines.push(`LOCATION:${o.location}`);
  if (o.organizer)
    lines.push(`ORGANIZER;CN=${o.organizer.split('<')[0]?.trim()}:mailto:${/<(.+)>/.exec(o.organizer)?.[1]}`);
  if (o.status) lines.push(`STATUS:${o.status}`);
  if (o.rrule) lines.push(`RRULE:${o.rrule}`);
  lines.push(...(o.lines ?? []), 'END:VEVENT');
  for (const ov of o.overrides ?? []) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${o.uid}`,
      'DTSTAMP:20260101T000000Z',
      t('RECURRENCE-ID', ov.recurrenceId),
    );
    lines.push(t('DTSTART', ov.start), t('DTEND', ov.end), `SUMMARY:${ov.summary}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}

export function vcard(uid: string, fn: string, email?: string): string {
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `UID:${uid}`,
    `FN:${fn}`,
    `N:${fn.split(' ').reverse().join(';')};;;`,
  ];
  if (email) lines.push(`EMAIL:${email}`);
  lines.push('END:VCARD');
  return `${lines.join('\r\n')}\r\n`;
}
