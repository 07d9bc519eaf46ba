/**
 * Unit suite: four files use the Dovecot instances of scripts/dovecot-imap.sh and start them on
 * first use (ensureDovecot; the script serialises starts with a lock). One file stopping them in
 * its afterAll raced the files still using them in other workers, so they are stopped once, at
 * the end of the run — and only when this run started them.
 */
import { dovecotUp, stopDovecot } from './dovecot';

export default async function setup(): Promise<() => Promise<void>> {
  const before = await dovecotUp();
  return async () => {
    if (!before && (await dovecotUp())) await stopDovecot();
  };
}
