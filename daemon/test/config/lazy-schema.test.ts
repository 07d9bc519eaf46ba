import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { lazySchema } from '../../src/config/lazy-schema';
import { configSchema } from '../../src/config/schema';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('lazySchema', () => {
  it('builds on first use, and once while the schema is held', () => {
    const build = vi.fn(() => ({ schema: true }));
    const get = lazySchema(build);
    expect(build).not.toHaveBeenCalled();
    const a = get();
    expect(get()).toBe(a);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('lets the garbage collector drop a schema nobody holds, and builds it again', async () => {
    // A counter, not vi.fn: a mock keeps every result it returned.
    let builds = 0;
    const get = lazySchema(() => {
      builds++;
      return { big: new Array(1000).fill(0) };
    });
    get();
    // A WeakRef target lives until the end of the job that created or read it.
    await nextTurn();
    gc();
    await nextTurn();
    get();
    expect(builds).toBe(2);
  });

  it('gives the config schema that still validates after a collection', async () => {
    const ok = { accounts: [{ kind: 'caldav', id: 'c', url: 'https://dav.example/', username: 'u' }] };
    expect(configSchema().safeParse(ok).success).toBe(true);
    await nextTurn();
    gc();
    await nextTurn();
    expect(configSchema().safeParse({ accounts: [{ kind: 'caldav', id: 'BAD' }] }).success).toBe(false);
    expect(configSchema().parse(ok).accounts[0]?.id).toBe('c');
  });
});
