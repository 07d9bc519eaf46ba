/**
 * The secret contract, in the secrets room so that the rooms using it (protocol clients, sinks,
 * the watchers) import it downward; it lived in watch/types.ts and made secrets/ import upward.
 */

/** Fetches a secret at the moment it is needed; never cached in config or logs. */
export interface SecretSource {
  get(): Promise<string>;
  /** Replaces a stored secret (rotating OAuth refresh tokens). Optional for read-only sources. */
  set?(value: string): Promise<void>;
  /** Deletes it (AccountOnlyRemoteWipe, account remove). */
  delete?(): Promise<void>;
  /**
   * Drops a value kept for the session (secrets/session.ts): the daemon calls it when the
   * account goes to needs-credentials, so the next attempt fetches (runs the command) again.
   */
  forget?(): void;
}
