import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SecretRef } from '../../src/config/account';
import { SinksConfig } from '../../src/config/rules';
import { createConfiguredSinks } from '../../src/sinks/configured';

describe('createConfiguredSinks', () => {
  const log = pino({ level: 'silent' });

  it('builds desktop, exec hooks and webhooks in order, each with its role', async () => {
    const asked: [string, SecretRef][] = [];
    const sinks = createConfiguredSinks(
      SinksConfig.parse({
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

  it('leaves the desktop sink out when disabled in config or by the daemon', () => {
    const deps = { log, isTraySubscribed: () => false, secretFor: () => ({ get: async () => '' }) };
    expect(createConfiguredSinks(SinksConfig.parse({ desktop: { enabled: false } }), deps)).toEqual([]);
    expect(createConfiguredSinks(SinksConfig.parse({}), { ...deps, notifier: false })).toEqual([]);
  });
});
