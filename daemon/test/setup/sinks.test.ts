/**
 * setup/sinks.ts: createConfiguredSinks is async since the hook and webhook modules load on
 * first use (issue 5), so a rebuild awaits before it swaps sinks on the hub. What must still
 * hold: the last rebuild's sinks are the ones left on the hub, and a dispose during a rebuild
 * leaves no sink behind.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sinksConfigSchema } from '../../src/config/rules';
import type { Config } from '../../src/config/schema';
import type { TidingsHub } from '../../src/hub/hub';
import type { Sink } from '../../src/hub/types';
import { setupSinks } from '../../src/setup/sinks';

function fakeHub() {
  const on = new Set<Sink>();
  const hub = {
    addSink: (s: Sink) => {
      on.add(s);
      return () => on.delete(s);
    },
  } as unknown as TidingsHub;
  return { hub, names: () => [...on].map((s) => s.name) };
}

const withHooks = (...names: string[]): Config =>
  ({
    notifications: {
      sinks: sinksConfigSchema().parse({
        desktop: { enabled: false },
        exec: names.map((name) => ({ name, command: ['/bin/true'] })),
      }),
    },
  }) as unknown as Config;

describe('setupSinks', () => {
  const log = pino({ level: 'silent' });

  it('leaves the last rebuild’s sinks on the hub when rebuilds overlap', async () => {
    const { hub, names } = fakeHub();
    const s = setupSinks({ hub, log, desktop: false, isTraySubscribed: () => false });
    await Promise.all([s.value.rebuild(withHooks('a')), s.value.rebuild(withHooks('b', 'c'))]);
    expect(names()).toEqual(['b', 'c']);
    await s.value.rebuild(withHooks());
    expect(names()).toEqual([]);
    await s.dispose();
  });

  it('puts nothing on the hub when disposed while a rebuild is under way', async () => {
    const { hub, names } = fakeHub();
    const s = setupSinks({ hub, log, desktop: false, isTraySubscribed: () => false });
    const rebuilding = s.value.rebuild(withHooks('late'));
    await s.dispose();
    await rebuilding;
    expect(names()).toEqual([]);
  });
});
