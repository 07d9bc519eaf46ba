/**
 * What the store keeps per watched mailbox and how a check turns the server's STATUS into a
 * plan and the plan's answers into the next state (issue 17, "exactly once"). Pure: the session
 * (watch/imap-watcher.ts) runs the commands a plan asks for and commits the state this module
 * returns together with its signal, so a kill -9 at any point either keeps the old state (the
 * same diff is found again, with the same signal id) or the new one (nothing is found again).
 */
import { decodeUids, encodeUids, uidsMinus } from './uid-set';

/** Store value of one mailbox (key `imap:mb:<name>`). Versioned: a new shape re-baselines. */
export interface MailboxState {
  v: 1;
  /** RFC 9051 §2.3.1.1: UIDs are only comparable under one UIDVALIDITY. String: a 32-bit value, bigint in imapflow. */
  uidValidity: string;
  /** Every UID at or above it is new to us. */
  uidNext: number;
  /** Messages we know to be present (the length of `uids`). */
  messages: number;
  /** Those UIDs as a sequence set (uid-set.ts): the diff that finds expunges without QRESYNC. */
  uids: string;
  /** RFC 7162 HIGHESTMODSEQ at the last check, where the server has CONDSTORE. */
  modseq?: string;
  /** When the daemon last committed a change here, ms: the UIDVALIDITY reconcile announces only mail after it. */
  changedAt: number;
}

/** STATUS (MESSAGES UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]) of one mailbox. */
export interface MailboxStatus {
  messages: number;
  uidNext: number;
  uidValidity: string;
  highestModseq?: string;
}

export type CheckPlan =
  /** Nothing moved (with CONDSTORE: not even a flag). */
  | { kind: 'unchanged' }
  /** Only HIGHESTMODSEQ moved (flags): store it, announce nothing. */
  | { kind: 'modseq' }
  /** First sight (or a state of an older shape): remember what is there, announce nothing. */
  | { kind: 'baseline' }
  /** UIDVALIDITY changed: every UID we know means nothing now (RFC 9051 §2.3.1.1). */
  | { kind: 'rebaseline' }
  /**
   * Something arrived or went. `fetchFrom`: UID FETCH from it (new mail); `searchAll`: the
   * count says some known UIDs are gone, so UID SEARCH ALL finds which.
   */
  | { kind: 'diff'; fetchFrom: number | undefined; searchAll: boolean };

export function isMailboxState(v: unknown): v is MailboxState {
  const s = v as MailboxState | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.v === 1 &&
    typeof s.uidValidity === 'string' &&
    Number.isInteger(s.uidNext) &&
    Number.isInteger(s.messages) &&
    typeof s.uids === 'string'
  );
}

export function planCheck(stored: MailboxState | undefined, status: MailboxStatus): CheckPlan {
  if (!stored) return { kind: 'baseline' };
  if (stored.uidValidity !== status.uidValidity) return { kind: 'rebaseline' };
  const modseqKnown = stored.modseq !== undefined && status.highestModseq !== undefined;
  const sameCounts = status.uidNext === stored.uidNext && status.messages === stored.messages;
  if (sameCounts) {
    if (!modseqKnown || stored.modseq === status.highestModseq) return { kind: 'unchanged' };
    // Flags moved, or (rarely) an expunge and an arrival cancelled out in the count but not in UIDNEXT.
    return { kind: 'modseq' };
  }
  const delta = Math.max(0, status.uidNext - stored.uidNext);
  // messages = stored + present new − removed, and present new ≤ delta: equality proves that
  // every new UID is there and nothing known went. Anything else asks the server which went.
  return {
    kind: 'diff',
    fetchFrom: delta > 0 ? stored.uidNext : undefined,
    searchAll: status.messages !== stored.messages + delta,
  };
}

/** What a diff learned from the server. */
export interface DiffAnswers {
  /** UIDs the UID FETCH from `fetchFrom` returned (it may return one older UID: RFC 9051 §6.4.8 `n:*`). */
  fetched: readonly number[];
  /** UID SEARCH ALL, when the plan asked for it. */
  all?: readonly number[];
}

export interface DiffResult {
  state: MailboxState;
  added: number[];
  removed: number[];
}

/** The next state and what changed. `now` becomes changedAt when something did. */
export function applyDiff(
  stored: MailboxState,
  status: MailboxStatus,
  answers: DiffAnswers,
  now: number,
): DiffResult {
  const known = decodeUids(stored.uids);
  const added = [...new Set(answers.fetched)].filter((u) => u >= stored.uidNext).sort((a, b) => a - b);
  const uidNext = Math.max(stored.uidNext, status.uidNext, (added.at(-1) ?? 0) + 1);
  let present: number[];
  let removed: number[] = [];
  if (answers.all) {
    // Mail that arrived after the FETCH is left to the next check (it is ≥ uidNext): kept out of
    // the set so count and set agree and that check announces it.
    present = answers.all.filter((u) => u < uidNext);
    removed = uidsMinus(known, present);
    present = [...new Set([...present, ...added])];
  } else {
    present = [...new Set([...known, ...added])];
  }
  const changed = added.length > 0 || removed.length > 0;
  return {
    state: {
      v: 1,
      uidValidity: status.uidValidity,
      uidNext,
      messages: present.length,
      uids: encodeUids(present),
      ...(status.highestModseq !== undefined ? { modseq: status.highestModseq } : {}),
      changedAt: changed ? now : stored.changedAt,
    },
    added,
    removed,
  };
}

/** A baseline (first sight, or after UIDVALIDITY changed) from UID SEARCH ALL. */
export function baselineState(status: MailboxStatus, all: readonly number[], now: number): MailboxState {
  // A loop, not Math.max(...all): a spread of 100 000 UIDs overflows the call stack.
  let top = 0;
  for (const u of all) if (u > top) top = u;
  const uidNext = Math.max(status.uidNext, top + 1);
  return {
    v: 1,
    uidValidity: status.uidValidity,
    uidNext,
    messages: new Set(all).size,
    uids: encodeUids(all),
    ...(status.highestModseq !== undefined ? { modseq: status.highestModseq } : {}),
    changedAt: now,
  };
}
