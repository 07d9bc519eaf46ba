import type { ContactInput, EventInput, MailInput } from '@tidings/fixtures';

/** One thing the demo server receives: a mail, an event or a contact, in turn. */
export type DemoItem =
  | { kind: 'mail'; mail: MailInput }
  | { kind: 'event'; event: EventInput }
  | { kind: 'contact'; contact: ContactInput };

const PEOPLE = [
  ['Ada', 'Lovelace'],
  ['Grace', 'Hopper'],
  ['Alan', 'Turing'],
  ['Barbara', 'Liskov'],
  ['Ken', 'Thompson'],
  ['Radia', 'Perlman'],
] as const;

const SUBJECTS = [
  'Lunch on Thursday?',
  'Draft of the quarterly report',
  'Your parcel is on its way',
  'Re: server migration plan',
  'Photos from the weekend',
  'Invoice 2026-114',
];

const EVENTS = ['Team stand-up', 'Dentist', 'Design review', 'Call with the landlord', 'Book club'];

/**
 * The n-th demo item: mail, event, contact, mail, … Pure (a function of n and `now`), so the
 * demo is the same every run and tests know what to expect.
 */
export function demoItem(n: number, now: Date): DemoItem {
  const [first, last] = PEOPLE[n % PEOPLE.length]!;
  const addr = `${first.toLowerCase()}@example.org`;
  switch (n % 3) {
    case 0:
      return {
        kind: 'mail',
        mail: {
          subject: SUBJECTS[Math.floor(n / 3) % SUBJECTS.length]!,
          from: `${first} ${last} <${addr}>`,
          body: `Hello from the Tidings demo (#${n}). This mail came through a real EAS Ping and Sync.`,
          date: now,
        },
      };
    case 1: {
      const start = new Date(now.getTime() + (n + 1) * 3600_000);
      start.setUTCMinutes(0, 0, 0);
      return {
        kind: 'event',
        event: {
          subject: EVENTS[Math.floor(n / 3) % EVENTS.length]!,
          start,
          end: new Date(start.getTime() + 30 * 60_000),
          location: 'Room 2',
          organizerName: `${first} ${last}`,
          organizerEmail: addr,
        },
      };
    }
    default:
      return { kind: 'contact', contact: { firstName: first, lastName: `${last} ${n}`, email: addr } };
  }
}
