import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDiff,
  baselineState,
  type MailboxState,
  type MailboxStatus,
  planCheck,
} from '../../src/imap/mailbox-state';
import { decodeUids, encodeUids, uidsMinus } from '../../src/imap/uid-set';

const stored = (uids: number[], uidNext: number, extra: Partial<MailboxState> = {}): MailboxState => ({
  v: 1,
  uidValidity: '7',
  uidNext,
  messages: uids.length,
  uids: encodeUids(uids),
  changedAt: 1000,
  ...extra,
});
const status = (messages: number, uidNext: number, extra: Partial<MailboxStatus> = {}): MailboxStatus => ({
  messages,
  uidNext,
  uidValidity: '7',
  ...extra,
});

describe('uid sets', () => {
  it('encodes ranges compactly and decodes them back', () => {
    expect(encodeUids([5, 1, 2, 3, 9, 10, 3])).toBe('1:3,5,9:10');
    expect(decodeUids('1:3,5,9:10')).toEqual([1, 2, 3, 5, 9, 10]);
    expect(encodeUids([])).toBe('');
    expect(decodeUids('')).toEqual([]);
  });

  it('round-trips any set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), (uids) => {
        expect(decodeUids(encodeUids(uids))).toEqual([...uids].sort((a, b) => a - b));
      }),
    );
  });

  it('refuses garbage and a range beyond the cap before expanding it', () => {
    expect(() => decodeUids('1:x')).toThrow(RangeError);
    expect(() => decodeUids('1:4294967295', 1000)).toThrow('UID set larger than 1000');
    expect(() => decodeUids('1:1000', 1000)).not.toThrow();
  });

  it('subtracts', () => {
    expect(uidsMinus([1, 2, 3, 4], [2, 4, 9])).toEqual([1, 3]);
  });
});

describe('planCheck', () => {
  it('first sight is a baseline; a new UIDVALIDITY a re-baseline', () => {
    expect(planCheck(undefined, status(3, 4))).toEqual({ kind: 'baseline' });
    expect(planCheck(stored([1, 2, 3], 4), status(3, 4, { uidValidity: '8' }))).toEqual({
      kind: 'rebaseline',
    });
  });

  it('same UIDNEXT and count is unchanged; with CONDSTORE a moved HIGHESTMODSEQ only updates the state', () => {
    expect(planCheck(stored([1, 2, 3], 4), status(3, 4))).toEqual({ kind: 'unchanged' });
    expect(planCheck(stored([1, 2, 3], 4, { modseq: '10' }), status(3, 4, { highestModseq: '10' }))).toEqual({
      kind: 'unchanged',
    });
    expect(planCheck(stored([1, 2, 3], 4, { modseq: '10' }), status(3, 4, { highestModseq: '12' }))).toEqual({
      kind: 'modseq',
    });
  });

  it('new mail only: fetch from the old UIDNEXT, no search (the count proves nothing went)', () => {
    expect(planCheck(stored([1, 2, 3], 4), status(5, 6))).toEqual({
      kind: 'diff',
      fetchFrom: 4,
      searchAll: false,
    });
  });

  it('an expunge, or an arrival and an expunge at once: search for what went', () => {
    expect(planCheck(stored([1, 2, 3], 4), status(2, 4))).toEqual({
      kind: 'diff',
      fetchFrom: undefined,
      searchAll: true,
    });
    expect(planCheck(stored([1, 2, 3], 4), status(3, 5))).toEqual({
      kind: 'diff',
      fetchFrom: 4,
      searchAll: true,
    });
  });
});

describe('applyDiff', () => {
  it('adds UIDs at or above the old UIDNEXT only (n:* may return the last older one)', () => {
    const r = applyDiff(stored([1, 2, 3], 4), status(5, 6), { fetched: [3, 4, 5] }, 5000);
    expect(r.added).toEqual([4, 5]);
    expect(r.removed).toEqual([]);
    expect(r.state).toMatchObject({ uidNext: 6, messages: 5, uids: '1:5', changedAt: 5000 });
  });

  it('finds removals from UID SEARCH ALL', () => {
    const r = applyDiff(stored([1, 2, 3], 4), status(3, 5), { fetched: [4], all: [1, 3, 4] }, 5000);
    expect(r.added).toEqual([4]);
    expect(r.removed).toEqual([2]);
    expect(r.state).toMatchObject({ uidNext: 5, messages: 3, uids: '1,3:4' });
  });

  it('leaves mail that arrived after the FETCH (seen only by the SEARCH) to the next check', () => {
    const r = applyDiff(stored([1, 2], 3), status(2, 4), { fetched: [3], all: [1, 3, 7] }, 5000);
    expect(r.added).toEqual([3]);
    expect(r.removed).toEqual([2]);
    expect(r.state.uids).toBe('1,3');
    // The next STATUS then shows one more than we know: a diff that fetches from 4 and finds 7
    // (and searches, since UIDs 4–6 never existed and the count cannot prove that).
    const next = planCheck(r.state, status(3, 8));
    expect(next).toEqual({ kind: 'diff', fetchFrom: 4, searchAll: true });
    const r2 = applyDiff(r.state, status(3, 8), { fetched: [7], all: [1, 3, 7] }, 6000);
    expect(r2.added).toEqual([7]);
    expect(r2.removed).toEqual([]);
  });

  it('a replayed check (same stored state, same answers) gives the same result: the signal id is the same', () => {
    const s = stored([1, 2, 3], 4);
    const a = applyDiff(s, status(3, 5), { fetched: [4], all: [1, 3, 4] }, 1);
    const b = applyDiff(s, status(3, 5), { fetched: [4], all: [1, 3, 4] }, 2);
    expect(a.added).toEqual(b.added);
    expect(a.removed).toEqual(b.removed);
  });

  it('checking again after applying finds nothing (no repeat)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 60 }),
        fc.uniqueArray(fc.integer({ min: 201, max: 260 }), { maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (known, arrived, keep) => {
          const sortedKnown = [...known].sort((x, y) => x - y);
          const s = stored(sortedKnown, 201);
          const present = [...sortedKnown.filter((_, i) => keep[i] !== false), ...arrived].sort(
            (x, y) => x - y,
          );
          const uidNext = Math.max(201, ...arrived.map((u) => u + 1));
          const st = status(present.length, uidNext);
          const plan = planCheck(s, st);
          if (plan.kind !== 'diff') return present.length === sortedKnown.length && arrived.length === 0;
          const r = applyDiff(
            s,
            st,
            {
              fetched: plan.fetchFrom !== undefined ? arrived : [],
              ...(plan.searchAll ? { all: present } : {}),
            },
            9,
          );
          expect(r.added).toEqual([...arrived].sort((x, y) => x - y));
          expect(r.removed).toEqual(sortedKnown.filter((u) => !present.includes(u)));
          expect(planCheck(r.state, st).kind).toBe('unchanged');
          return true;
        },
      ),
    );
  });
});

describe('baselineState', () => {
  it('takes UIDNEXT above every UID even when STATUS lagged, without spreading a huge array', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => i + 1);
    const s = baselineState(status(200_000, 10), many, 42);
    expect(s).toMatchObject({ uidNext: 200_001, messages: 200_000, uids: '1:200000', changedAt: 42 });
  });
});
