import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coalescer, FolderSlots, folderKey, mergeSignals } from '../../src/hub/coalesce';
import type { ChangeSignal, ItemSummary } from '../../src/signal';

function sig(
  id: string,
  parts: Partial<Pick<ChangeSignal, 'added' | 'changed' | 'removed'>>,
  folderId = 'inbox',
): ChangeSignal {
  return {
    id,
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: folderId, name: folderId },
    added: parts.added ?? [],
    changed: parts.changed ?? [],
    removed: parts.removed ?? [],
    observedAt: `2026-11-25T12:00:${id.padStart(2, '0').slice(-2)}.000Z`,
  };
}
const item = (id: string, title = `t${id}`): ItemSummary => ({ id, title });

describe('mergeSignals', () => {
  it('de-duplicates items by id and keeps the newest summary', () => {
    const m = mergeSignals(
      sig('1', { added: [item('a', 'old')] }),
      sig('2', { added: [item('a', 'new'), item('b')] }),
      100,
    );
    expect(m.added).toEqual([item('a', 'new'), item('b')]);
  });

  it('makes an item added then removed in the window disappear', () => {
    const m = mergeSignals(
      sig('1', { added: [item('a'), item('b')] }),
      sig('2', { removed: [{ id: 'a' }] }),
      100,
    );
    expect(m.added).toEqual([item('b')]);
    expect(m.removed).toEqual([]);
  });

  it('keeps an added item added when it changes, and a changed-then-removed item removed with its summary', () => {
    const m = mergeSignals(
      sig('1', { added: [item('a')], changed: [item('c', 'Budget')] }),
      sig('2', { changed: [item('a', 'a2')], removed: [{ id: 'c' }] }),
      100,
    );
    expect(m.added).toEqual([item('a', 'a2')]);
    expect(m.changed).toEqual([]);
    expect(m.removed).toEqual([item('c', 'Budget')]);
  });

  it('turns removed then added again into a change', () => {
    const m = mergeSignals(sig('1', { removed: [{ id: 'a' }] }), sig('2', { added: [item('a')] }), 100);
    expect(m).toMatchObject({ added: [], changed: [item('a')], removed: [] });
  });

  it('gives a stable id that depends on the parts and their order', () => {
    const a = sig('1', { added: [item('a')] });
    const b = sig('2', { added: [item('b')] });
    expect(mergeSignals(a, b, 100).id).toBe(mergeSignals(a, b, 100).id);
    expect(mergeSignals(a, b, 100).id).not.toBe(mergeSignals(b, a, 100).id);
    expect(mergeSignals(a, b, 100).id).not.toBe(a.id);
  });

  it('caps each list at maxItems, keeping the newest', () => {
    let m = sig('0', { added: [item('0')] });
    for (let i = 1; i < 10; i++) m = mergeSignals(m, sig(String(i), { added: [item(String(i))] }), 3);
    expect(m.added.map((i) => i.id)).toEqual(['7', '8', '9']);
    expect(m.observedAt).toBe(sig('9', {}).observedAt);
  });
});

describe('mergeSignals invariants (property)', () => {
  const change = fc.record({
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    kind: fc.constantFrom('added', 'changed', 'removed'),
  });

  it('never lists an item twice, keeps caps, and ends each item in the state its history implies', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        (bursts, cap) => {
          const signals = bursts.map((events, i) => {
            // Within one signal an item appears once (as a server reports it).
            const last = new Map(events.map((e) => [e.id, e.kind]));
            const parts = {
              added: [] as ItemSummary[],
              changed: [] as ItemSummary[],
              removed: [] as ItemSummary[],
            };
            for (const [id, kind] of last) parts[kind as 'added'].push(item(id));
            return sig(String(i), parts);
          });
          const merged = signals
            .slice(1)
            .reduce((m, s) => mergeSignals(m, s, cap), signals[0] as ChangeSignal);
          const ids = [...merged.added, ...merged.changed, ...merged.removed].map((i) => i.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const l of [merged.added, merged.changed, merged.removed])
            expect(l.length).toBeLessThanOrEqual(signals.length === 1 ? 5 : cap);
          // History per item across signals.
          const history = new Map<string, string[]>();
          for (const s of signals)
            for (const k of ['added', 'changed', 'removed'] as const)
              for (const it of s[k]) history.set(it.id, [...(history.get(it.id) ?? []), k]);
          for (const [id, h] of history) {
            const where = (['added', 'changed', 'removed'] as const).find((k) =>
              merged[k].some((i) => i.id === id),
            );
            const lastKind = h.at(-1);
            // Added, then removed once: never announced — unless the cap pushed it out in between
            // (then its removal is news of its own), or the server repeated the removal.
            const uncapped = cap >= 5;
            if (
              uncapped &&
              h[0] === 'added' &&
              lastKind === 'removed' &&
              h.indexOf('removed') === h.length - 1
            )
              expect(where).toBeUndefined();
            else if (where !== undefined && lastKind === 'removed') expect(where).toBe('removed');
            else if (where !== undefined) expect(where).not.toBe('removed');
          }
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe('Coalescer, leading edge (issue 14)', () => {
  it('sends the first signal of a quiet folder at once, then one signal for the rest of the burst', () => {
    const c = new Coalescer<string>(2_000, 100);
    for (let i = 0; i < 10; i++)
      c.add(sig(String(i), { added: [item(`m${i}`)] }), `id${i}`, 'route', 1_000 + i * 190);
    // The first was ready at 1 000, before anything else arrived.
    expect(c.hasReady()).toBe(true);
    expect(c.nextDueAt()).toBe(Number.NEGATIVE_INFINITY);
    const [lead, ...none] = c.due(1_000);
    expect(none).toEqual([]);
    expect(lead?.ids).toEqual(['id0']);
    // m1 arrived at 1 190 into a hot folder: its window closes at 3 190 with m1..m9.
    expect(c.nextDueAt()).toBe(3_190);
    expect(c.due(3_189)).toEqual([]);
    const [batch, ...rest] = c.due(3_190);
    expect(rest).toEqual([]);
    expect(batch?.signal.added.map((i) => i.id)).toEqual(Array.from({ length: 9 }, (_, i) => `m${i + 1}`));
    expect(batch?.ids).toEqual(Array.from({ length: 9 }, (_, i) => `id${i + 1}`));
    expect(c.size).toBe(0);
    expect(c.nextDueAt()).toBeUndefined();
  });

  it('a folder is quiet again a whole window after it last went out; other folders never wait', () => {
    const c = new Coalescer<undefined>(1_000, 100);
    c.add(sig('1', { added: [item('a')] }, 'inbox'), '1', undefined, 0);
    expect(c.due(0).map((b) => b.ids)).toEqual([['1']]);
    c.add(sig('2', { added: [item('b')] }, 'work'), '2', undefined, 500);
    c.add(sig('3', { added: [item('c')] }, 'inbox'), '3', undefined, 999);
    // work leads at once; inbox (hot until 1 000) waits for its window.
    expect(c.due(999).map((b) => b.ids)).toEqual([['2']]);
    expect(c.due(1_999).map((b) => b.ids)).toEqual([['3']]);
    // inbox went out at 1 999: hot until 2 999, quiet from then on.
    c.add(sig('4', { added: [item('d')] }, 'inbox'), '4', undefined, 2_998);
    expect(c.hasReady()).toBe(false);
    expect(c.due(3_998).map((b) => b.ids)).toEqual([['4']]);
    c.add(sig('5', { added: [item('e')] }, 'inbox'), '5', undefined, 4_998);
    expect(c.hasReady()).toBe(true);
    expect(c.due(4_998).map((b) => b.ids)).toEqual([['5']]);
  });

  it('a steady trickle goes out at most once per window, each change within one window', () => {
    const c = new Coalescer<undefined>(2_000, 100);
    const out: { at: number; ids: string[] }[] = [];
    for (let t = 0; t <= 10_000; t += 100) {
      if (t % 500 === 0) c.add(sig(String(t), { added: [item(`i${t}`)] }), `id${t}`, undefined, t);
      for (const b of c.due(t)) out.push({ at: t, ids: b.ids });
    }
    for (let i = 1; i < out.length; i++)
      expect((out[i]?.at ?? 0) - (out[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
    for (const { at, ids } of out)
      for (const id of ids) expect(at - Number(id.slice(2))).toBeLessThanOrEqual(2_000);
    expect(out.flatMap((o) => o.ids)).toHaveLength(21);
  });
});

describe('Coalescer', () => {
  it('without a leading edge: ten mails in two seconds become one signal with ten items, acking all ten ids', () => {
    const c = new Coalescer<string>(2_000, 100, { leading: false });
    for (let i = 0; i < 10; i++)
      c.add(sig(String(i), { added: [item(`m${i}`)] }), `id${i}`, 'route', 1_000 + i * 190);
    expect(c.due(2_999)).toEqual([]);
    const [batch, ...rest] = c.due(3_000);
    expect(rest).toEqual([]);
    expect(batch?.signal.added.map((i) => i.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(batch?.ids).toEqual(Array.from({ length: 10 }, (_, i) => `id${i}`));
    expect(c.size).toBe(0);
    expect(c.nextDueAt()).toBeUndefined();
  });

  it('keeps folders apart and closes each window at its own time', () => {
    const c = new Coalescer<undefined>(1_000, 100, { leading: false });
    c.add(sig('1', { added: [item('a')] }, 'inbox'), '1', undefined, 0);
    c.add(sig('2', { added: [item('b')] }, 'work'), '2', undefined, 500);
    expect(c.nextDueAt()).toBe(1_000);
    expect(c.due(1_000).map((b) => b.signal.folder.id)).toEqual(['inbox']);
    expect(c.nextDueAt()).toBe(1_500);
    expect(c.due(Number.POSITIVE_INFINITY).map((b) => b.signal.folder.id)).toEqual(['work']);
  });

  it('passes a lone signal through unchanged, id included', () => {
    const c = new Coalescer<undefined>(0, 100);
    const s = sig('7', { added: [item('a')] });
    c.add(s, s.id, undefined, 5);
    expect(c.due(5)).toEqual([{ signal: s, ids: ['7'], tag: undefined }]);
  });
});

describe('FolderSlots', () => {
  it('holds one merged signal per folder however many arrive', () => {
    const slots = new FolderSlots(50);
    for (let i = 0; i < 1_000; i++) slots.put(sig(String(i), { added: [item(String(i))] }, `f${i % 3}`));
    expect(slots.size).toBe(3);
    const first = slots.shift();
    expect(first && folderKey(first)).toBe(folderKey(sig('0', {}, 'f0')));
    expect(first?.added).toHaveLength(50);
    expect(slots.size).toBe(2);
  });
});
