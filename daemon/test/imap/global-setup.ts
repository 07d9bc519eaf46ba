/**
 * Unit suite: four files use the Dovecot instances of scripts/dovecot-imap.sh and start them on
 * first use (ensureDovecot; the script serialises starts with a lock). One file stopping them in
 * its afterAll raced the files still using them in other workers, so they are stopped once, at
 * the end of the run — and only when a worker of this run started them (its token in the owner
 * file): a second vitest run on the machine that merely saw them up must leave them running.
 */
import { randomUUID } from 'node:crypto';
import { OWNER_ENV, startedByRun, stopDovecot } from './dovecot';

export default async function setup(): Promise<() => Promise<void>> {
  const token = randomUUID();
  process.env[OWNER_ENV] = token;
  return async () => {
    if (startedByRun(token)) await stopDovecot();
  };
}
