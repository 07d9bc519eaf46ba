import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notificationsConfigSchema } from '../../src/config/rules';

function issues(input: object): { path: (string | number)[]; message: string }[] {
  const r = notificationsConfigSchema().safeParse(input);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => ({ path: i.path as (string | number)[], message: i.message }));
}

describe('notifications config', () => {
  it('fills every default from an empty section', () => {
    expect(notificationsConfigSchema().parse({})).toEqual({
      coalesceMs: 2_000,
      maxItems: 100,
      collections: { mail: true, calendar: true, contacts: true, tasks: true },
      rules: [],
      sinks: { desktop: { enabled: true, urgency: 'normal', expireSeconds: 10 }, exec: [], webhooks: [] },
    });
  });

  it('names the path of a rule that routes to a sink that does not exist', () => {
    expect(issues({ rules: [{ folder: 'Inbox', sinks: ['desktop', 'pagr'] }] })).toEqual([
      { path: ['rules', 0, 'sinks', 1], message: 'no sink named "pagr"' },
    ]);
  });

  it('refuses a sink name used twice, across hooks and webhooks', () => {
    const out = issues({
      sinks: {
        exec: [{ name: 'ops', command: ['/bin/true'] }],
        webhooks: [{ name: 'ops', url: 'https://example.org/hook' }],
      },
    });
    expect(out).toEqual([
      { path: ['sinks', 'webhooks', 0, 'name'], message: 'sink name "ops" is used twice' },
    ]);
    expect(issues({ sinks: { exec: [{ name: 'desktop', command: ['/bin/true'] }] } })[0]?.path).toEqual([
      'sinks',
      'exec',
      0,
      'name',
    ]);
  });

  it('wants a shell command line as one string, and webhooks on http(s) only', () => {
    expect(
      issues({ sinks: { exec: [{ name: 'a', command: ['echo', 'hi'], shell: true }] } })[0]?.path,
    ).toEqual(['sinks', 'exec', 0, 'command']);
    expect(issues({ sinks: { webhooks: [{ name: 'w', url: 'ftp://example.org/' }] } })[0]).toEqual({
      path: ['sinks', 'webhooks', 0, 'url'],
      message: 'an http:// or https:// URL',
    });
  });

  it('rejects unknown fields, so a typo is not silently ignored', () => {
    expect(issues({ rules: [{ folder: 'x', muted: true }] })[0]?.path).toEqual(['rules', 0]);
  });

  it('converts to JSON Schema for the published config schema', () => {
    const schema = z.toJSONSchema(notificationsConfigSchema(), { io: 'input' }) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties)).toEqual([
      'coalesceMs',
      'maxItems',
      'collections',
      'rules',
      'quietHours',
      'openCommand',
      'sinks',
    ]);
  });
});
