import type { SecretSource } from './types';

/** A secret kept for a session: fetched once, shared by every request, forgotten on demand. */
export interface SessionSecret extends SecretSource {
  /** Drops the kept value: the next `get` fetches again (after a 401, or when asked). */
  forget(): void;
}

/**
 * Keeps a secret for the session (issue 13 §7: a `passwordCommand` ran once per HTTP request —
 * 423 runs for a first sync of 10 000 mails, one gpg decrypt each). The first `get` runs the
 * source; callers meanwhile share that one run; a failure is not kept, so the next `get` tries
 * again. The value lives only in this closure's memory, as it did in each request before.
 * `forget()` — called when the server answers 401 (the account goes to needs-credentials) —
 * makes the next `get` run the command again; a new session (reload of a changed account, new
 * credentials, restart) starts with nothing kept.
 */
export function sessionSecret(source: SecretSource): SessionSecret {
  let kept: Promise<string> | undefined;
  return {
    get() {
      if (kept) return kept;
      const run = source.get();
      kept = run;
      run.catch(() => {
        if (kept === run) kept = undefined;
      });
      return run;
    },
    forget() {
      kept = undefined;
    },
    ...(source.set
      ? {
          set: async (value: string) => {
            kept = undefined;
            await source.set?.(value);
          },
        }
      : {}),
    ...(source.delete
      ? {
          delete: async () => {
            kept = undefined;
            await source.delete?.();
          },
        }
      : {}),
  };
}
