import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type WatcherFactory } from '../../src/daemon';
import type { Watcher } from '../../src/watch/types';
import {
  decideWake,
  type InterfaceMap,
  networkKey,
  parseDefaultGateway,
  startWakeMonitor,
  type WakeReason,
} from '../../src/watch/wake-monitor';
import { capturingLog, daemonDirs, until } from './helpers';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WIFI: InterfaceMap = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  wlan0: [
    { address: '192.168.1.23', family: 'IPv4', internal: false },
    { address: 'fe80::1c2b:3cff:fe4d:5e6f', family: 'IPv6', internal: false },
    { address: '2001:db8:1:2:a1b2:c3d4:e5f6:789', family: 'IPv6', internal: false },
  ],
};

const ROUTE = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0',
  'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
  '',
].join('\n');

/** Timers the test fires by hand. */
function manualTimers() {
  const fns = new Set<() => void>();
  return {
    fire: () => {
      for (const f of fns) f();
    },
    armed: () => fns.size,
    timers: {
      setInterval: (fn: () => void) => {
        fns.add(fn);
        return fn;
      },
      clearInterval: (h: unknown) => {
        fns.delete(h as () => void);
      },
    },
  };
}

describe('wake monitor: decision core', () => {
  it('reads the default gateway from /proc/net/route (little-endian hex, UP|GATEWAY)', () => {
    expect(parseDefaultGateway(ROUTE)).toBe('wlan0 192.168.1.1');
    expect(parseDefaultGateway(ROUTE.replace('0003', '0001'))).toBeUndefined();
    expect(parseDefaultGateway('Iface\tDestination\n')).toBeUndefined();
  });

  it('keys a network by its non-internal addresses and gateway, ignoring link-local and IPv6 privacy rotation', () => {
    const k = networkKey(WIFI, 'wlan0 192.168.1.1');
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    // A new privacy address inside the same /64 and a new link-local address: same network.
    const rotated: InterfaceMap = {
      ...WIFI,
      wlan0: [
        { address: '192.168.1.23', family: 'IPv4', internal: false },
        { address: 'fe80::9999', family: 'IPv6', internal: false },
        { address: '2001:db8:1:2:ffff:eeee:dddd:cccc', family: 'IPv6', internal: false },
      ],
    };
    expect(networkKey(rotated, 'wlan0 192.168.1.1')).toBe(k);
    expect(networkKey(WIFI, 'wlan0 192.168.1.254')).not.toBe(k);
    expect(
      networkKey(
        { ...WIFI, wlan0: [{ address: '10.0.0.5', family: 'IPv4', internal: false }] },
        'wlan0 192.168.1.1',
      ),
    ).not.toBe(k);
    expect(networkKey({ lo: WIFI.lo }, undefined)).toBe('offline');
  });

  it('resume when the wall clock outruns the monotonic clock by more than two intervals; else network on a new key', () => {
    const a = { wallMs: 0, monoMs: 0, key: 'k1' };
    expect(decideWake(a, { wallMs: 30_000, monoMs: 30_000, key: 'k1' }, 30_000)).toBeUndefined();
    // A late timer on a busy machine moves both clocks: no resume.
    expect(decideWake(a, { wallMs: 95_000, monoMs: 95_000, key: 'k1' }, 30_000)).toBeUndefined();
    expect(decideWake(a, { wallMs: 30_000 + 61_000, monoMs: 30_000, key: 'k1' }, 30_000)).toBe('resume');
    expect(decideWake(a, { wallMs: 30_000 + 59_000, monoMs: 30_000, key: 'k1' }, 30_000)).toBeUndefined();
    expect(decideWake(a, { wallMs: 30_000, monoMs: 30_000, key: 'k2' }, 30_000)).toBe('network');
    expect(decideWake(a, { wallMs: 3_600_000, monoMs: 30_000, key: 'k2' }, 30_000)).toBe('resume');
  });

  it('samples on its timer, reports each change once, and stops', () => {
    const t = manualTimers();
    let wall = 0;
    let mono = 0;
    let key = 'home';
    const woken: [WakeReason, string][] = [];
    const m = startWakeMonitor({
      intervalMs: 1000,
      clock: { wall: () => wall, mono: () => mono },
      readKey: () => key,
      timers: t.timers,
      onWake: (r, k) => woken.push([r, k]),
    });
    expect(m.key()).toBe('home');
    wall += 1000;
    mono += 1000;
    t.fire();
    expect(woken).toEqual([]);
    key = 'office';
    wall += 1000;
    mono += 1000;
    t.fire();
    t.fire();
    expect(woken).toEqual([['network', 'office']]);
    expect(m.key()).toBe('office');
    wall += 8 * 3600_000; // a night asleep: the monotonic clock stood still
    mono += 1000;
    t.fire();
    expect(woken).toEqual([
      ['network', 'office'],
      ['resume', 'office'],
    ]);
    m.stop();
    expect(t.armed()).toBe(0);
  });
});

describe('wake monitor in the daemon', () => {
  it('wakes every running watcher with the reason', async () => {
    const t = manualTimers();
    let key = 'home';
    const wakes: string[] = [];
    const factory: WatcherFactory = (account): Watcher => ({
      accountId: account.id,
      start() {},
      async stop() {},
      wake: (reason) => wakes.push(`${account.id}:${reason}`),
      status: () => ({ state: 'waiting', since: new Date(0).toISOString() }),
    });
    const dirs = daemonDirs();
    cleanups.push(dirs.cleanup);
    writeFileSync(
      dirs.configPath,
      JSON.stringify({
        accounts: [
          { id: 'a', kind: 'exchange', email: 'a@example.com', url: 'https://mail.example.com/' },
          { id: 'b', kind: 'caldav', url: 'https://dav.example.com/', username: 'b' },
        ],
      }),
    );
    const { log, lines } = capturingLog('info');
    const d = await startDaemon({
      configPath: dirs.configPath,
      stateDir: dirs.stateDir,
      ipcPath: dirs.ipcPath,
      log,
      desktop: false,
      watcherFactory: factory,
      wakeMonitor: { intervalMs: 1000, readKey: () => key, timers: t.timers },
    });
    cleanups.push(() => d.stop());
    key = 'office';
    t.fire();
    await until(() => wakes.length === 2, 'both watchers woken');
    expect(wakes.sort()).toEqual(['a:network', 'b:network']);
    expect(lines.join('')).toContain('network changed: reconnecting every account');
    await d.stop();
    expect(t.armed()).toBe(0);
  });
});
