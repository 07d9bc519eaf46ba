import { afterEach, describe, expect, it } from 'vitest';
import { type JmapFixture, startJmapFixture } from '../../../fixtures/src/jmap-server';
import { type MailState, TRACK_CAP } from '../../src/jmap/mail-sync';
import { KEY_MAIL } from '../../src/watch/jmap-watcher';
import { harness, testContext, until } from './support';

let fx: JmapFixture | undefined;
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await fx?.close();
  fx = undefined;
});

describe(`a mailbox larger than the ${TRACK_CAP} ids the store tracks`, () => {
  it('tracks the newest, announces new mail, and does not call a flag change on old untracked mail new', async () => {
    fx = await startJmapFixture();
    const old: string[] = [];
    for (let i = 0; i < TRACK_CAP + 5; i++)
      old.push(
        fx.data.add({
          subject: `old ${i}`,
          seen: true,
          receivedAt: new Date(Date.UTC(2020, 0, 1, 0, 0, i)).toISOString(),
        }),
      );
    const ctx = testContext('acct');
    const h = harness(fx.url, {}, { ctx });
    open.push(h);
    h.watcher.start();
    await until('waiting', () => h.watcher.status().state === 'waiting' && fx!.openStreams === 1);
    const state = ctx.store.get<MailState>('acct', KEY_MAIL)!;
    expect(state.mailboxes['mb-inbox']).toMatchObject({ complete: false });
    expect(state.mailboxes['mb-inbox']!.ids).toHaveLength(TRACK_CAP);
    // The oldest five are beyond the tracked window.
    expect(state.mailboxes['mb-inbox']!.ids).not.toContain(old[0]);

    // Marked unread again: a change of an old mail the set no longer tracks, not new mail.
    fx.data.setSeen(old[0]!, false);
    const fresh = fx.data.add({ subject: 'fresh' });
    await until('fresh', () => ctx.published.length === 1);
    await h.watcher.checkNow();
    expect(ctx.published).toHaveLength(1);
    expect(ctx.published[0]!.added.map((i) => i.id)).toEqual([fresh]);

    // A tracked (recent) one gets its flag change as changed.
    fx.data.setSeen(old.at(-1)!, false);
    await until('changed', () => ctx.published.length === 2);
    expect(ctx.published[1]).toMatchObject({ changed: [{ id: old.at(-1), unread: true }], added: [] });
    expect(ctx.store.get<MailState>('acct', KEY_MAIL)!.mailboxes['mb-inbox']!.ids.length).toBeLessThanOrEqual(
      TRACK_CAP,
    );
  });
});
