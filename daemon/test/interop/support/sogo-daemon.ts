/**
 * The shipped daemon with one SOGo user's ActiveSync account (DaemonHome), as sogo-eas and
 * sogo-mark-read run it, and the waits that follow from SOGo's change checks.
 */
import { DaemonHome } from './daemon-process';
import { imapPrimeCondstore, SOGO, type SogoUser } from './sogo';

/** SOGo's Ping looks every SOGoInternalSyncInterval seconds: a change shows within a few. */
export const SIGNAL_WITHIN_MS = (SOGO.internalSyncInterval * 3 + 10) * 1000;
/**
 * After a signal, how long we keep listening for a duplicate or an echo of our own change: two
 * of SOGo's change checks, so a folder SOGo still thinks changed would have been reported again.
 */
export const QUIET_MS = (SOGO.internalSyncInterval * 2 + 2) * 1000;
/** From start to a parked Ping: OPTIONS, Provision, FolderSync, a baseline Sync per folder. */
export const READY_WITHIN_MS = 90_000;

/**
 * A home whose config holds `u`'s ActiveSync account `id` (password from an environment
 * variable); the user's INBOX is primed for CONDSTORE first. The daemon is not started yet.
 */
export async function sogoEasHome(name: string, id: string, u: SogoUser): Promise<DaemonHome> {
  await imapPrimeCondstore(u);
  return new DaemonHome({
    name,
    config: {
      accounts: [
        {
          id,
          kind: 'exchange',
          email: u.email,
          username: u.uid,
          url: SOGO.easUrl,
          auth: { type: 'basic', secret: { env: 'TIDINGS_INTEROP_SOGO_PASSWORD' } },
          // The shortest heartbeat Exchange allows: a Ping left behind by a killed daemon holds
          // one of SOGo's workers until its heartbeat ends.
          heartbeat: { initial: 60, min: 60, max: 3540 },
        },
      ],
    },
    secrets: { TIDINGS_INTEROP_SOGO_PASSWORD: u.password },
  });
}
