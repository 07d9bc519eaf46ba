import { describe, expect, it } from 'vitest';
import { applyStatusDelta, PendingDelta } from '../../src/ipc/status-delta';
import { sampleAccount, sampleStatus } from './helpers';

const { accounts: _, ...header } = sampleStatus();

describe('applyStatusDelta', () => {
  it('replaces changed accounts in place, appends added ones, drops removed ones, keeps the rest', () => {
    const before = {
      ...sampleStatus(),
      accounts: ['a', 'b', 'c'].map((id) => sampleAccount(id, 'connecting')),
    };
    const after = applyStatusDelta(before, {
      accounts: [sampleAccount('b'), sampleAccount('d')],
      removed: ['a', 'nope'],
    });
    expect(after).toEqual({
      ...header,
      accounts: [sampleAccount('b'), sampleAccount('c', 'connecting'), sampleAccount('d')],
    });
    expect(before.accounts.map((a) => a.status.state)).toEqual(['connecting', 'connecting', 'connecting']);
  });

  it('replaces the whole daemon-wide part when given (a field absent there was cleared)', () => {
    const paused = {
      ...sampleStatus(),
      pausedUntil: '2030-01-01T00:00:00.000Z',
      accounts: [sampleAccount('a')],
    };
    expect(applyStatusDelta(paused, { daemon: header })).toEqual({
      ...header,
      accounts: [sampleAccount('a')],
    });
    expect(applyStatusDelta(paused, {})).toEqual(paused);
  });
});

describe('PendingDelta', () => {
  it('holds one slot per account: the last summary, or the removal', () => {
    const p = new PendingDelta();
    expect(p.take()).toBeUndefined();
    for (const state of ['connecting', 'syncing', 'waiting'] as const)
      p.add({ accounts: [sampleAccount('a', state)] });
    p.add({ accounts: [sampleAccount('x')] });
    p.add({ removed: ['x', 'y'] });
    p.add({ daemon: header });
    expect(p.take()).toEqual({ daemon: header, accounts: [sampleAccount('a')], removed: ['x', 'y'] });
    expect(p.take()).toBeUndefined();
  });

  it('stays bounded by the account count however many deltas a stuck client misses', () => {
    const p = new PendingDelta();
    for (let i = 0; i < 10_000; i++)
      p.add({ accounts: [sampleAccount(`acc-${i % 10}`, i % 2 ? 'syncing' : 'waiting')] });
    expect(p.take()?.accounts).toHaveLength(10);
  });
});
