/**
 * Run by `scripts/sogo.sh start` once SOGo answers: puts every test user's server into the state
 * in which SOGo's ActiveSync reports changes at all (issue 3, "The real server").
 *
 * - Dovecot reports HIGHESTMODSEQ only after a CONDSTORE session has touched a mailbox, and
 *   SOGo's EAS finds mail changes through it: select INBOX with CONDSTORE.
 * - A Ping on an empty calendar or address book never fires until a Sync has returned
 *   something: keep one event and one contact in each, created once and left alone afterwards
 *   (re-writing them would be a change every watcher announces).
 */
import {
  calendarUrl,
  contactsUrl,
  contactVcf,
  davExists,
  davPut,
  eventIcs,
  imapPrimeCondstore,
  USERS,
} from '../../daemon/test/interop/support/sogo';

for (const u of USERS.values()) {
  const modseq = await imapPrimeCondstore(u);
  const event = `${calendarUrl(u)}tidings-prime.ics`;
  const contact = `${contactsUrl(u)}tidings-prime.vcf`;
  const made: string[] = [];
  if (!(await davExists(u, event))) {
    const start = new Date(Date.UTC(2026, 0, 1, 9));
    const end = new Date(+start + 3600e3);
    await davPut(
      u,
      event,
      eventIcs({ uid: 'tidings-prime', summary: 'Tidings baseline', start, end }),
      'text/calendar',
    );
    made.push('event');
  }
  if (!(await davExists(u, contact))) {
    await davPut(
      u,
      contact,
      contactVcf({ uid: 'tidings-prime', given: 'Baseline', family: 'Contact' }),
      'text/vcard',
    );
    made.push('contact');
  }
  console.error(
    `prime: ${u.uid}: INBOX HIGHESTMODSEQ ${modseq}; ${made.length ? `created ${made.join(' and ')}` : 'event and contact present'}`,
  );
}
