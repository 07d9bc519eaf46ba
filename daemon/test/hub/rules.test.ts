import { describe, expect, it } from 'vitest';
import { notificationsConfigSchema } from '../../src/config/rules';
import { globToRegExp, compileRules, senderAddress } from '../../src/hub/rules';
import type { ChangeSignal, Collection } from '../../src/signal';

function sig(
  over: Partial<ChangeSignal> = {},
  froms: string[] = ['Alice <alice@example.org>'],
): ChangeSignal {
  return {
    id: 's1',
    accountId: 'work',
    source: 'eas',
    collection: 'mail',
    folder: { id: '5', name: 'Inbox' },
    added: froms.map((from, i) => ({ id: `m${i}`, title: `Subject ${i}`, from })),
    changed: [],
    removed: [],
    observedAt: '2026-11-25T12:00:00.000Z',
    ...over,
  };
}
const rulesOf = (input: object) => compileRules(notificationsConfigSchema().parse(input));

describe('rules', () => {
  it('lets every signal through to every sink when no rule matches', () => {
    const d = rulesOf({ rules: [{ folder: 'Spam', mute: true }] })(sig());
    expect(d).toEqual({ keep: true, signal: sig(), sinks: undefined });
  });

  it('mutes a folder by display name or server id, case-insensitively', () => {
    const decide = rulesOf({ rules: [{ name: 'no spam', folder: 'junk*', mute: true }] });
    expect(decide(sig({ folder: { id: '9', name: 'Junk E-mail' } }))).toEqual({
      keep: false,
      reason: 'muted',
      rule: 'no spam',
    });
    expect(
      rulesOf({ rules: [{ folder: '9', mute: true }] })(sig({ folder: { id: '9', name: 'X' } })),
    ).toMatchObject({
      keep: false,
      reason: 'muted',
      rule: 'rules[0]',
    });
  });

  it('switches a whole collection off', () => {
    const decide = rulesOf({ collections: { contacts: false } });
    expect(decide(sig({ collection: 'contacts' }))).toEqual({ keep: false, reason: 'collection-disabled' });
    expect(decide(sig({ collection: 'calendar' })).keep).toBe(true);
  });

  it('keeps only items from listed senders (address or glob), and drops a signal left empty', () => {
    const decide = rulesOf({
      rules: [{ account: 'work', senders: ['boss@example.org', '*@partner.example'] }],
    });
    const d = decide(
      sig({}, ['Boss <BOSS@example.org>', 'Spam <x@spam.example>', 'bob@partner.example', 'no brackets']),
    );
    expect(d.keep && d.signal.added.map((i) => i.from)).toEqual([
      'Boss <BOSS@example.org>',
      'bob@partner.example',
    ]);
    expect(decide(sig({}, ['x@spam.example']))).toEqual({ keep: false, reason: 'senders', rule: 'rules[0]' });
  });

  it('lets the first matching rule decide, and routes to the sinks it names', () => {
    const decide = rulesOf({
      rules: [
        { collection: ['calendar', 'tasks'], sinks: ['desktop', 'pager'] },
        { collection: 'calendar', mute: true },
      ],
      sinks: { exec: [{ name: 'pager', command: ['/bin/true'] }] },
    });
    const d = decide(sig({ collection: 'calendar' as Collection }));
    expect(d.keep).toBe(true);
    expect(d.keep && [...(d.sinks ?? [])]).toEqual(['desktop', 'pager']);
  });

  it('matches globs literally apart from * and ?', () => {
    expect(globToRegExp('a.b*').test('a.bcd')).toBe(true);
    expect(globToRegExp('a.b*').test('axbcd')).toBe(false);
    expect(globToRegExp('f?o').test('FOO')).toBe(true);
    expect(senderAddress('"Doe, Jane" <jane@example.org>')).toBe('jane@example.org');
  });
});
