import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { notificationsConfigSchema } from '../../src/config/rules';
import { createHub } from '../../src/hub/hub';
import type { ChangeSignal } from '../../src/signal';
import { SqliteStore } from '../../src/store/sqlite-store';
import { mailSignal } from '../store/signals';
import { ManualClock } from './manual-clock';

/**
 * The outbox round trip on the real store: what the hub had not handed on when the process
 * stopped comes again on the next start, and what it had handed on never does.
 */
describe('hub + SqliteStore outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-hub-store-'));
  const path = join(dir, 'state.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(store: SqliteStore) {
    const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
    const got: ChangeSignal[] = [];
    const hub = createHub({
      ...notificationsConfigSchema().parse({ coalesceMs: 1_000 }),
      store,
      clock,
      log: pino({ level: 'silent' }),
    });
    hub.addSink({ name: 'tray', deliver: (s) => got.push(s) > 0 });
    return { hub, clock, got };
  }

  it('redelivers signals whose window had not closed, once, and nothing already handed on', () => {
    // First life: one burst is delivered and acked; a second is still in its window at "exit".
    let store = SqliteStore.open({ path });
    let life = run(store);
    life.hub.start();
    life.hub.publish(
      store.commit('acct', {
        set: { syncKey: '1' },
        signals: [mailSignal('acct', 1), mailSignal('acct', 2)],
      }),
    );
    life.clock.advance(1_000);
    expect(life.got.flatMap((s) => s.added.map((i) => i.id))).toEqual(['m1', 'm2']);
    life.hub.publish(store.commit('acct', { set: { syncKey: '2' }, signals: [mailSignal('acct', 3)] }));
    life.hub.close();
    store.close();

    // Second life: only the one not handed on comes, and a replayed watcher step adds nothing.
    store = SqliteStore.open({ path });
    life = run(store);
    life.hub.start();
    expect(store.commit('acct', { set: { syncKey: '2' }, signals: [mailSignal('acct', 3)] })).toEqual([]);
    life.clock.advance(1_000);
    expect(life.got).toEqual([mailSignal('acct', 3)]);
    life.hub.close();
    store.close();

    // Third life: nothing left.
    store = SqliteStore.open({ path });
    life = run(store);
    life.hub.start();
    life.clock.advance(1_000);
    expect(life.got).toEqual([]);
    expect(store.get('acct', 'syncKey')).toBe('2');
    life.hub.close();
    store.close();
  });
});
