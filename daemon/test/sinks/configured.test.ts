import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SecretRef } from '../../src/config/account';
import { sinksConfigSchema } from '../../src/config/rules';
import { createConfiguredSinks, hasDesktopSession, NO_DESKTOP_SESSION } from '../../src/sinks/configured';
import { capturingLog } from '../daemon/helpers';

describe('createConfiguredSinks', () => {
  const log = pino({ level: 'silent' });

  it('builds desktop, exec hooks and webhooks in order, each with its role', async () => {
    const asked: [string, SecretRef][] = [];
    const sinks = await createConfiguredSinks(
      sinksConfigSchema().parse({
        exec: [{ name: 'on-mail', command: ['/bin/true'] }],
        webhooks: [
          { name: 'ops', url: 'https://example.org/a', secret: { env: 'OPS_KEY' } },
          { name: 'plain', url: 'https://example.org/b' },
        ],
      }),
      {
        log,
        isTraySubscribed: () => false,
        notifier: { notify: () => undefined },
        secretFor: (owner, ref) => {
          asked.push([owner, ref]);
          return { get: async () => 'k' };
        },
      },
    );
    expect(sinks.map((s) => [s.name, s.role])).toEqual([
      ['desktop', 'notifier'],
      ['on-mail', 'hook'],
      ['ops', 'hook'],
      ['plain', 'hook'],
    ]);
    // Only the webhook with a secret asks for one, under its own keyring owner.
    expect(asked).toEqual([['webhook:ops', { env: 'OPS_KEY' }]]);
    await Promise.all(sinks.map((s) => s.close?.()));
  });

  it('leaves the desktop sink out when disabled in config or by the daemon', async () => {
    const deps = { log, isTraySubscribed: () => false, secretFor: () => ({ get: async () => '' }) };
    expect(
      await createConfiguredSinks(sinksConfigSchema().parse({ desktop: { enabled: false } }), deps),
    ).toEqual([]);
    expect(await createConfiguredSinks(sinksConfigSchema().parse({}), { ...deps, notifier: false })).toEqual(
      [],
    );
  });

  it('on a headless Linux logs one info line and builds no desktop sink (no notify-send stack per change)', async () => {
    const { log: cap, lines } = capturingLog('info');
    const deps = { log: cap, isTraySubscribed: () => false, secretFor: () => ({ get: async () => '' }) };
    const headless = await createConfiguredSinks(sinksConfigSchema().parse({}), {
      ...deps,
      platform: 'linux',
      env: { HOME: '/h' },
    });
    expect(headless).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: NO_DESKTOP_SESSION });

    // A session bus alone is enough for notify-send; macOS and Windows always have a session.
    const withBus = await createConfiguredSinks(sinksConfigSchema().parse({}), {
      ...deps,
      platform: 'linux',
      env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' },
    });
    expect(withBus.map((s) => s.name)).toEqual(['desktop']);
    await Promise.all(withBus.map((s) => s.close?.()));
    expect(lines).toHaveLength(1);
    expect(hasDesktopSession('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBe(true);
    expect(hasDesktopSession('linux', { DISPLAY: ':0' })).toBe(true);
    expect(hasDesktopSession('darwin', {})).toBe(true);
    expect(hasDesktopSession('win32', {})).toBe(true);
    expect(hasDesktopSession('freebsd', {})).toBe(false);
  });
});
