import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors';
import type { RetentionOptions, StateStore } from '../../src/store/types';
import { mailSignal } from './signals';

/** Builds a fresh, empty store; `cleanup` releases whatever it holds (files, handles). */
export type StoreFactory = (opts: RetentionOptions) => { store: StateStore; cleanup(): void };

const DAY = 24 * 3600_000;

/**
 * The one contract every StateStore implementation passes (as undici's
 * cache-store-test-utils runs against its memory and SQLite stores).
 */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    const cleanups: (() => void)[] = [];
    let now = 1_700_000_000_000;
    const open = (opts: RetentionOptions = {}): StateStore => {
      const { store, cleanup } = factory({ now: () => now, ...opts });
      cleanups.push(() => {
        store.close();
        cleanup();
      });
      return store;
    };
    afterEach(() => {
      for (const c of cleanups.splice(0)) c();
      now = 1_700_000_000_000;
    });

    it('returns undefined for a missing key and the JSON value for a set one, per account', () => {
      const store = open();
      expect(store.get('a', 'syncKey')).toBeUndefined();
      store.commit('a', { set: { syncKey: '7', folders: [{ id: '1', name: 'Inbox' }] } });
      store.commit('b', { set: { syncKey: '99' } });
      expect(store.get('a', 'syncKey')).toBe('7');
      expect(store.get('a', 'folders')).toEqual([{ id: '1', name: 'Inbox' }]);
      expect(store.get('b', 'syncKey')).toBe('99');
      expect(store.get('b', 'folders')).toBeUndefined();
    });

    it('hands out copies: mutating a returned value does not change the stored one', () => {
      const store = open();
      store.commit('a', { set: { folders: ['x'] } });
      store.get<string[]>('a', 'folders')?.push('y');
      expect(store.get('a', 'folders')).toEqual(['x']);
    });

    it('deletes keys, and treats an undefined value as a delete', () => {
      const store = open();
      store.commit('a', { set: { k1: 1, k2: 2, k3: 3 } });
      store.commit('a', { delete: ['k1'], set: { k2: undefined } });
      expect([store.get('a', 'k1'), store.get('a', 'k2'), store.get('a', 'k3')]).toEqual([
        undefined,
        undefined,
        3,
      ]);
    });

    it('returns only new signals from commit, dropping ids seen before or twice in one batch', () => {
      const store = open();
      const [s1, s2, s3] = [1, 2, 3].map((n) => mailSignal('a', n)) as [
        ReturnType<typeof mailSignal>,
        ReturnType<typeof mailSignal>,
        ReturnType<typeof mailSignal>,
      ];
      expect(store.commit('a', { signals: [s1, s2, s1] }).map((s) => s.id)).toEqual([s1.id, s2.id]);
      expect(store.commit('a', { signals: [s2, s3] })).toEqual([s3]);
      expect(store.pending().map((s) => s.id)).toEqual([s1.id, s2.id, s3.id]);
    });

    it('keeps pending oldest first, honours the limit, and forgets acked signals', () => {
      const store = open();
      store.commit('a', { signals: [1, 2, 3, 4].map((n) => mailSignal('a', n)) });
      expect(store.pending(2).map((s) => s.id)).toEqual(['a:inbox:1', 'a:inbox:2']);
      store.ack(['a:inbox:2', 'a:inbox:9']);
      store.ack(['a:inbox:2']);
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:1', 'a:inbox:3', 'a:inbox:4']);
      expect(store.pending()[0]).toEqual(mailSignal('a', 1));
    });

    it('still drops a replayed signal after it was acked (replay after a crash never announces twice)', () => {
      const store = open();
      store.commit('a', { signals: [mailSignal('a', 1)] });
      store.ack(['a:inbox:1']);
      expect(store.commit('a', { set: { syncKey: '8' }, signals: [mailSignal('a', 1)] })).toEqual([]);
      expect(store.pending()).toEqual([]);
      expect(store.get('a', 'syncKey')).toBe('8');
    });

    it('applies nothing of a commit holding a value that is not JSON', () => {
      const store = open();
      store.commit('a', { set: { syncKey: '1' } });
      let caught: unknown;
      try {
        store.commit('a', { set: { syncKey: '2', bad: 10n }, signals: [mailSignal('a', 1)] });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).code).toBe('STORE_ERR_VALUE');
      expect((caught as StoreError).message).toContain('a/bad');
      expect(store.get('a', 'syncKey')).toBe('1');
      expect(store.pending()).toEqual([]);
    });

    it('deleteAccount forgets that account only, values and signals', () => {
      const store = open();
      store.commit('a', { set: { syncKey: '1' }, signals: [mailSignal('a', 1)] });
      store.commit('b', { set: { syncKey: '2' }, signals: [mailSignal('b', 1)] });
      store.deleteAccount('a');
      expect(store.get('a', 'syncKey')).toBeUndefined();
      expect(store.get('b', 'syncKey')).toBe('2');
      expect(store.pending().map((s) => s.id)).toEqual(['b:inbox:1']);
      // A re-added account starts from a fresh baseline, so its ids are new again.
      expect(store.commit('a', { signals: [mailSignal('a', 1)] })).toHaveLength(1);
    });

    it('recent() lists the latest signals with payload, delivered or not, oldest first', () => {
      const store = open();
      store.commit('a', { signals: [1, 2, 3].map((n) => mailSignal('a', n)) });
      store.ack(['a:inbox:1']);
      expect(store.recent?.(2).map((s) => s.id)).toEqual(['a:inbox:2', 'a:inbox:3']);
      expect(store.recent?.(10).map((s) => s.id)).toEqual(['a:inbox:1', 'a:inbox:2', 'a:inbox:3']);
    });

    it('prunes payloads after the payload window and ids after the de-dup window, never pending ones', () => {
      const store = open({ keepPayloadMs: DAY, keepIdsMs: 30 * DAY });
      store.commit('a', { signals: [1, 2].map((n) => mailSignal('a', n)) });
      store.ack(['a:inbox:1']);
      now += 2 * DAY;
      store.prune?.();
      // Payload of the delivered one is gone, its id still de-dups; the pending one is untouched.
      expect(store.recent?.(10).map((s) => s.id)).toEqual(['a:inbox:2']);
      expect(store.commit('a', { signals: [mailSignal('a', 1)] })).toEqual([]);
      now += 30 * DAY;
      store.prune?.();
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:2']);
      expect(store.commit('a', { signals: [mailSignal('a', 1)] })).toHaveLength(1);
    });

    it('handOff acks the outbox ids, feeds the coalesced signal and opens one ledger entry per durable sink, together', () => {
      const store = open();
      store.commit('a', { signals: [1, 2, 3].map((n) => mailSignal('a', n)) });
      const merged = { ...mailSignal('a', 9), id: 'm-12' };
      const seqs = store.handOff?.({
        ack: ['a:inbox:1', 'a:inbox:2'],
        feed: [{ signal: merged, people: true }],
        ledger: [
          { sink: 'hook', signal: merged },
          { sink: 'web', signal: merged },
        ],
      });
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:3']);
      expect(seqs).toHaveLength(1);
      const [seq] = seqs as [number];
      expect(seq).toBeGreaterThan(0);
      expect(store.feedSeq?.('m-12')).toBe(seq);
      expect(store.feedAfter?.(0, 10)).toEqual([{ seq, signal: merged, people: true }]);
      // The same id again is not fed twice: 0 says "handed on before".
      const lone = mailSignal('a', 3);
      const again = store.handOff?.({
        ack: ['a:inbox:3'],
        feed: [
          { signal: merged, people: true },
          { signal: lone, people: false },
        ],
        ledger: [{ sink: 'hook', signal: merged }],
      });
      expect(again?.[0]).toBe(0);
      expect(again?.[1]).toBeGreaterThan(seq);
      expect(store.feedAfter?.(seq, 10).map((e) => [e.signal.id, e.people])).toEqual([['a:inbox:3', false]]);
      expect(store.feedLatest?.(1).map((e) => e.signal.id)).toEqual(['a:inbox:3']);
      expect(store.feedLatest?.(5).map((e) => e.signal.id)).toEqual(['m-12', 'a:inbox:3']);
      expect(store.feedSeq?.('nope')).toBeUndefined();
      expect(store.pending()).toEqual([]);
      const hook = store.ledgerOpen?.('hook', 0, 10) ?? [];
      expect(hook.map((e) => [e.signal.id, e.state, e.attempts])).toEqual([['m-12', 'pending', 0]]);
      expect(hook[0]?.signal).toEqual(merged);
      expect(store.ledgerOpen?.('web', 0, 10)).toHaveLength(1);
      expect(store.ledgerOpen?.('other', 0, 10)).toEqual([]);
    });

    it('a ledger entry notes each attempt and is gone once done; deleteAccount and retention clear feed and ledger', () => {
      const store = open({ keepPayloadMs: DAY, keepIdsMs: 30 * DAY });
      const [s1, s2, b1] = [mailSignal('a', 1), mailSignal('a', 2), mailSignal('b', 1)];
      store.handOff?.({
        ack: [],
        feed: [s1, s2, b1].map((signal) => ({ signal, people: true })),
        ledger: [s1, s2, b1].map((signal) => ({ sink: 'hook', signal })),
      });
      store.ledgerBegin?.('hook', s1.id, '{"status":"/x"}');
      store.ledgerBegin?.('hook', s1.id, '{"status":"/y"}');
      const [first, ...rest] = store.ledgerOpen?.('hook', 0, 10) ?? [];
      expect(first).toMatchObject({ state: 'running', attempts: 2, note: '{"status":"/y"}' });
      expect(rest.map((e) => e.state)).toEqual(['pending', 'pending']);
      // Paging by seq.
      expect(store.ledgerOpen?.('hook', first?.seq ?? 0, 1).map((e) => e.signal.id)).toEqual([s2.id]);
      store.ledgerDone?.('hook', s1.id);
      expect(store.ledgerOpen?.('hook', 0, 10).map((e) => e.signal.id)).toEqual([s2.id, b1.id]);
      store.deleteAccount('b');
      expect(store.ledgerOpen?.('hook', 0, 10).map((e) => e.signal.id)).toEqual([s2.id]);
      expect(store.feedLatest?.(10).map((e) => e.signal.id)).toEqual([s1.id, s2.id]);
      now += 2 * DAY;
      store.prune?.();
      expect(store.feedLatest?.(10)).toEqual([]);
      expect(store.ledgerOpen?.('hook', 0, 10)).toHaveLength(1); // still owed
      now += 30 * DAY;
      store.prune?.();
      expect(store.ledgerOpen?.('hook', 0, 10)).toEqual([]); // a sink gone from the config
    });

    it('never reuses a feed or ledger seq, even after the newest entry is settled (paging by seq)', () => {
      const store = open();
      const [s1, s2] = [mailSignal('a', 1), mailSignal('a', 2)];
      store.handOff?.({ ack: [], feed: [], ledger: [{ sink: 'h', signal: s1 }] });
      const first = store.ledgerOpen?.('h', 0, 10)[0]?.seq ?? 0;
      store.ledgerDone?.('h', s1.id);
      store.handOff?.({ ack: [], feed: [], ledger: [{ sink: 'h', signal: s2 }] });
      expect(store.ledgerOpen?.('h', first, 10).map((e) => e.signal.id)).toEqual([s2.id]);
    });

    it('refuses calls after close with STORE_ERR_CLOSED', () => {
      const store = open();
      store.close();
      expect(() => store.get('a', 'k')).toThrow(expect.objectContaining({ code: 'STORE_ERR_CLOSED' }));
      expect(() => store.commit('a', {})).toThrow(expect.objectContaining({ code: 'STORE_ERR_CLOSED' }));
      expect(() => store.close()).not.toThrow();
    });

    it('commitSoon writes a turn of commits together, each caller getting its own fresh signals', async () => {
      const store = open();
      store.commit('a', { signals: [mailSignal('a', 1)] });
      const [a, b, dup] = await Promise.all([
        store.commitSoon('a', { set: { syncKey: '2' }, signals: [mailSignal('a', 1), mailSignal('a', 2)] }),
        store.commitSoon('b', { set: { syncKey: '9' }, signals: [mailSignal('b', 1)] }),
        store.commitSoon('b', { signals: [mailSignal('b', 1)] }),
      ]);
      expect(a.map((s) => s.id)).toEqual(['a:inbox:2']);
      expect(b.map((s) => s.id)).toEqual(['b:inbox:1']);
      expect(dup).toEqual([]); // the same id twice in one batch is still announced once
      expect([store.get('a', 'syncKey'), store.get('b', 'syncKey')]).toEqual(['2', '9']);
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:1', 'a:inbox:2', 'b:inbox:1']);
    });

    it('commitSoon is written before any later call that could see or overtake it', async () => {
      const store = open();
      const first = store.commitSoon('a', { set: { k: 1 }, signals: [mailSignal('a', 1)] });
      // A read of the account, a plain commit and pending() each write the queue first.
      expect(store.get('a', 'k')).toBe(1);
      const second = store.commitSoon('a', { set: { k: 2 } });
      store.commit('a', { set: { k: 3 } });
      expect(store.get('a', 'k')).toBe(3);
      const third = store.commitSoon('a', { signals: [mailSignal('a', 2)] });
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:1', 'a:inbox:2']);
      // deleteAccount cannot be undone by a commit queued before it.
      const fourth = store.commitSoon('a', { set: { k: 4 } });
      store.deleteAccount('a');
      expect(store.get('a', 'k')).toBeUndefined();
      expect((await first).map((s) => s.id)).toEqual(['a:inbox:1']);
      await Promise.all([second, third, fourth]);
      // close() writes what is queued and answers the caller before the store goes.
      const last = store.commitSoon('b', { signals: [mailSignal('b', 7)] });
      store.close();
      expect((await last).map((s) => s.id)).toEqual(['b:inbox:7']);
      await expect(store.commitSoon('b', {})).rejects.toMatchObject({ code: 'STORE_ERR_CLOSED' });
    });

    it('commitSoon fails only the commit whose value is not JSON; the rest of the batch holds', async () => {
      const store = open();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const [good, bad] = await Promise.allSettled([
        store.commitSoon('a', { set: { k: 'ok' }, signals: [mailSignal('a', 1)] }),
        store.commitSoon('b', { set: { k: cyclic }, signals: [mailSignal('b', 1)] }),
      ]);
      expect(good).toMatchObject({ status: 'fulfilled' });
      expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'STORE_ERR_VALUE' } });
      expect(store.get('a', 'k')).toBe('ok');
      expect(store.pending().map((s) => s.id)).toEqual(['a:inbox:1']);
    });

    it('behaves like a simple model under random sequences of commits and acks', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.record({
                op: fc.constant('commit' as const),
                ids: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }),
                key: fc.integer({ min: 0, max: 50 }),
              }),
              fc.record({
                op: fc.constant('ack' as const),
                ids: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }),
              }),
            ),
            { maxLength: 30 },
          ),
          (ops) => {
            const store = open();
            const known = new Set<number>();
            const pending: number[] = [];
            let key: number | undefined;
            for (const o of ops) {
              if (o.op === 'commit') {
                const fresh = store.commit('a', {
                  set: { k: o.key },
                  signals: o.ids.map((n) => mailSignal('a', n)),
                });
                const expected = [...new Set(o.ids)].filter((n) => !known.has(n));
                expected.forEach((n) => {
                  known.add(n);
                  pending.push(n);
                });
                expect(fresh.map((s) => s.id)).toEqual(expected.map((n) => `a:inbox:${n}`));
                key = o.key;
              } else {
                store.ack(o.ids.map((n) => `a:inbox:${n}`));
                for (const n of o.ids) if (pending.includes(n)) pending.splice(pending.indexOf(n), 1);
              }
            }
            expect(store.pending().map((s) => s.id)).toEqual(pending.map((n) => `a:inbox:${n}`));
            expect(store.get('a', 'k')).toBe(key);
          },
        ),
        { numRuns: 60, seed: 5 },
      );
    });
  });
}
