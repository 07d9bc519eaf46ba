import { afterEach, describe, expect, it } from 'vitest';
import { EasError } from '../../src/eas/errors';
import { ACCOUNT_ID, type Harness, harness, pingParked, sent, waitFor } from './harness';

/**
 * Issue 16: "Mark as read" from an Exchange notification — a Sync with
 * `<Commands><Change><ServerId/><ApplicationData><Email:Read>1` on the folder's current key,
 * through the watcher's own drain (key committed, server changes announced once).
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const syncKey = (h: Harness, folder = '2') => h.store.get<string>(ACCOUNT_ID, `eas.syncKey.${folder}`);

/** The Collection SyncKey a Sync request presented. */
function requestKey(body: unknown): string {
  const m = /"tag":"SyncKey","children":\["([^"]*)"\]/.exec(JSON.stringify(body));
  return m?.[1] ?? '';
}

/** The Change commands a recorded Sync carried: [ServerId, Read]. */
function changesIn(body: unknown): [string, string][] {
  const out: [string, string][] = [];
  const walk = (e: unknown, inChange = false, sid?: { v?: string }) => {
    if (!e || typeof e !== 'object' || !('tag' in e)) return;
    const node = e as { tag: string; ns: string; children: unknown[] };
    if (node.tag === 'Change' && node.ns === 'AirSync') {
      const box: { v?: string } = {};
      for (const c of node.children) walk(c, true, box);
      return;
    }
    if (inChange && node.tag === 'ServerId') sid!.v = String(node.children[0]);
    if (inChange && node.tag === 'Read' && node.ns === 'Email')
      out.push([sid?.v ?? '', String(node.children[0])]);
    for (const c of node.children) walk(c, inChange, sid);
  };
  walk(body);
  return out;
}

describe('mark as read (EAS Sync Change of Email:Read)', () => {
  it('marks the mail read on the server, advances the stored key, and announces nothing for it', async () => {
    h = await harness();
    await pingParked(h);
    const id = h.server.addMail('alice', { subject: 'Read me', from: 'bob@example.test' });
    const signal = await waitFor(() => h?.signals[0], 'the new-mail signal');
    expect(signal.added.map((i) => i.id)).toEqual([id]);
    await pingParked(h);
    const keyBefore = syncKey(h);
    const syncsBefore = sent(h, 'Sync').length;

    // The Ping stays parked meanwhile: the Sync goes beside it (the account's second connection).
    const result = await h.watcher.markRead!('2', [id]);
    expect(result).toEqual({ marked: [id], failed: [] });

    expect(h.server.getItem('alice', id)?.data).toMatchObject({ read: true });
    const syncs = sent(h, 'Sync').slice(syncsBefore);
    expect(syncs).toHaveLength(1);
    expect(changesIn(syncs[0]?.body)).toEqual([[id, '1']]);
    // The request used the key the store held, and the store now holds the answer's key.
    expect(JSON.stringify(syncs[0]?.body)).toContain(`"${keyBefore}"`);
    const keyAfter = syncKey(h);
    expect(keyAfter).not.toBe(keyBefore);
    expect(h.server.parkedPings).toBe(1);
    // Our own change is no news: no signal, and the next Sync with the new key finds nothing.
    expect(h.signals).toHaveLength(1);

    // A later mail still arrives exactly once, from the new key (the key chain is intact).
    const next = h.server.addMail('alice', { subject: 'After', from: 'carol@example.test' });
    const after = await waitFor(() => h?.signals[1], 'the next mail');
    expect(after.added.map((i) => i.id)).toEqual([next]);
    expect(h.signals).toHaveLength(2);
    expect(h.statuses.some((s) => s.lastError?.code === 'EAS_ERR_SYNC_STATE')).toBe(false);
  });

  it("a check while the mark is under way cuts the open Ping, not the mark (its signal is the run's, not the session's)", async () => {
    h = await harness();
    await pingParked(h);
    const id = h.server.addMail('alice', { subject: 'Read me', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'the new-mail signal');
    await pingParked(h);
    const pingsBefore = sent(h, 'Ping').length;
    const marking = h.watcher.markRead!('2', [id]);
    const checked = h.watcher.check!();
    expect(await marking).toEqual({ marked: [id], failed: [] });
    await checked;
    expect(h.server.getItem('alice', id)?.data).toMatchObject({ read: true });
    // The check's round Pinged again on the same session.
    await waitFor(() => (sent(h!, 'Ping').length > pingsBefore ? true : undefined), 'a new Ping');
    expect(h.statuses.some((s) => s.state === 'backing-off')).toBe(false);
  });

  it('announces once what the server sends back in the same answer, and not again on the next Ping', async () => {
    h = await harness();
    await pingParked(h);
    const first = h.server.addMail('alice', { subject: 'One', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'the first signal');
    await pingParked(h);
    // A change the Ping has not reported yet when the user clicks: hold the Ping's answer.
    let release: (() => void) | undefined;
    h.server.handlers.Ping = async (_req, next) => {
      await new Promise<void>((r) => {
        release = r;
      });
      return next();
    };
    // The parked Ping still runs the default (it was parked before the override); supersede it.
    h.watcher.wake?.('manual');
    await waitFor(() => release !== undefined, 'the held Ping');
    const second = h.server.addMail('alice', { subject: 'Two', from: 'carol@example.test' });

    const r = await h.watcher.markRead!('2', [first]);
    expect(r.marked).toEqual([first]);
    const announced = h.signals.slice(1);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.added.map((i) => i.id)).toEqual([second]);

    h.server.handlers.Ping = undefined;
    release?.();
    await pingParked(h);
    // The Ping's Status 2 (if any) finds nothing new: still exactly one signal for "Two".
    const ids = h.signals.flatMap((s) => s.added.map((i) => i.id));
    expect(ids.filter((i) => i === second)).toHaveLength(1);
    expect(h.server.getItem('alice', first)?.data).toMatchObject({ read: true });
  });

  it('serialises with the watcher’s own Sync of the folder: never two Syncs on one key', async () => {
    h = await harness();
    await pingParked(h);
    const id = h.server.addMail('alice', { subject: 'Busy', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'the signal');
    await pingParked(h);
    // Hold the next Sync answer, so the watcher's own Sync is in flight when markRead comes.
    const inFlight: string[] = [];
    const keys: string[] = [];
    let maxInFlight = 0;
    let gate: (() => void) | undefined;
    h.server.handlers.Sync = async (req, next) => {
      const key = JSON.stringify(req.body);
      keys.push(requestKey(req.body));
      inFlight.push(key);
      maxInFlight = Math.max(maxInFlight, inFlight.length);
      if (!gate) await new Promise<void>((r) => (gate = r));
      try {
        return await next();
      } finally {
        inFlight.splice(inFlight.indexOf(key), 1);
      }
    };
    h.server.addMail('alice', { subject: 'Another', from: 'dan@example.test' });
    await waitFor(() => inFlight.length === 1 && gate !== undefined, "the watcher's Sync in flight");
    const marking = h.watcher.markRead!('2', [id]);
    gate?.();
    expect(await marking).toEqual({ marked: [id], failed: [] });
    expect(maxInFlight).toBe(1);
    // Deterministic whatever the timing: the mark-read presented the key the held Sync was
    // answered with, not the one both would have read from the store at the same time.
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
    expect(Number(keys[1])).toBe(Number(keys[0]) + 1);
    expect(h.server.getItem('alice', id)?.data).toMatchObject({ read: true });
    expect(h.signals.map((s) => s.added.map((i) => i.title))).toEqual([['Busy'], ['Another']]);
    expect(h.statuses.some((s) => s.lastError?.code === 'EAS_ERR_SYNC_STATE')).toBe(false);
  });

  it('answers a per-item Status 8 with EAS_ERR_NO_SUCH_ITEM, and a folder it does not watch likewise', async () => {
    h = await harness();
    await pingParked(h);
    const err = await h.watcher.markRead!('2', ['2:999']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EasError);
    expect(err).toMatchObject({ code: 'EAS_ERR_NO_SUCH_ITEM', easStatus: 8 });
    expect((err as Error).message).toContain('2:999');
    // The folder keeps working from the key that answer carried.
    const ok = h.server.addMail('alice', { subject: 'Still fine', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'a signal after the failure');
    expect(h.signals[0]?.added.map((i) => i.id)).toEqual([ok]);

    const noFolder = await h.watcher.markRead!('5', [ok]).catch((e: unknown) => e);
    expect(noFolder).toMatchObject({ code: 'EAS_ERR_NO_SUCH_ITEM' });
    expect((noFolder as Error).message).toContain('no mail folder 5');
  });

  it('recovers a stale key (Status 3) by a silent baseline, then still sends the change', async () => {
    h = await harness();
    await pingParked(h);
    const id = h.server.addMail('alice', { subject: 'Old news', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'the signal');
    await pingParked(h);
    h.server.forgetSyncState('alice');
    const r = await h.watcher.markRead!('2', [id]);
    expect(r).toEqual({ marked: [id], failed: [] });
    expect(h.server.getItem('alice', id)?.data).toMatchObject({ read: true });
    // The re-baseline announced nothing: the mail is not "new" again.
    expect(h.signals).toHaveLength(1);
  });

  it('refuses while the account has no session, with EAS_ERR_NOT_CONNECTED', async () => {
    h = await harness({ start: false });
    const err = await h.watcher.markRead!('2', ['2:1']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EAS_ERR_NOT_CONNECTED' });
    expect((err as Error).message).toContain('not connected');
  });

  it('the fixture reports other devices the read flag as a Change, and never echoes it to the device that made it', async () => {
    h = await harness();
    await pingParked(h);
    // A second device of the same user (its own store, so its own DeviceId).
    const other = await harness({ reuseServer: h.server });
    try {
      await waitFor(
        () => h?.server.parkedPings === 2 && other.watcher.status().state === 'waiting',
        'two Pings',
      );
      const id = h.server.addMail('alice', { subject: 'Flag', from: 'bob@example.test' });
      await waitFor(() => h?.signals[0] && other.signals[0], 'the signal on both devices');
      await waitFor(() => h?.server.parkedPings === 2, 'both Pings parked again');
      const mine = h.server.requests.filter((r) => r.command === 'Ping' && r.pingOutcome === undefined);
      expect(mine).toHaveLength(2);
      await h.watcher.markRead!('2', [id]);
      const markDevice = sent(h, 'Sync').at(-1)?.deviceId;
      // The marking device's own Ping was not woken by its own change (the outcome is set
      // synchronously when the server answers a Ping, so this cannot pass by being early) …
      const own = mine.find((r) => r.deviceId === markDevice);
      expect(own?.pingOutcome).toBeUndefined();
      // … while the other device's Ping was, and its Sync brings the flag as a Change.
      const seen = await waitFor(() => other.signals[1], "the other device's change");
      expect(seen.changed).toEqual([expect.objectContaining({ id, unread: false })]);
      expect(h.signals).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('the fixture answers a Change of anything but Read 0/1 per item with Status 6', async () => {
    h = await harness();
    await pingParked(h);
    const id = h.server.addMail('alice', { subject: 'Odd', from: 'bob@example.test' });
    await waitFor(() => h?.signals[0], 'the signal');
    // Rewrite the client's Read 1 into Read 7 on the way in.
    h.server.handlers.Sync = (req, next) => {
      const walk = (e: { tag?: string; ns?: string; children?: unknown[] }) => {
        if (e.tag === 'Read' && e.ns === 'Email') e.children = ['7'];
        for (const c of e.children ?? []) if (c && typeof c === 'object') walk(c as typeof e);
      };
      if (req.body) walk(req.body as never);
      return next();
    };
    const err = await h.watcher.markRead!('2', [id]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EAS_ERR_STATUS', easStatus: 6 });
    expect(h.server.getItem('alice', id)?.data).not.toMatchObject({ read: true });
  });
});
