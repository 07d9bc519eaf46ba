/**
 * The shipped daemon with a CalDAV and a CardDAV account for one user of a real DAV server
 * (Radicale, SOGo), and the check-driven assertions of the issue 14 suites: with hourly polling,
 * every signal after the start-up check comes from a `tidings check` the test runs, and
 * "nothing else" is shown by a sentinel event and contact announced after everything a check
 * could repeat (one folder's signals go out in order).
 */
import { expect } from 'vitest';
import type { ChangeSignal } from '../../../src/signal';
import { DaemonHome, waitFor } from './daemon-process';

export interface DavDaemonOptions {
  /** The temp directory's and the log's name. */
  name: string;
  /** The two account ids. */
  cal: string;
  card: string;
  /** The server root both accounts are set up from, as a new user's `account add --url <root>`. */
  url: string;
  username: string;
  password: string;
  /** The environment variable the config's `secret: {env}` names. */
  passwordEnv: string;
  /** Poll interval in seconds; `{ min: 3600 }`: every later signal comes from a check the test asks for. */
  interval: { min: number; max?: number };
}

/** Writes the two accounts' config, starts the daemon and waits until both took their baseline. */
export async function startDavDaemon(o: DavDaemonOptions): Promise<DaemonHome> {
  const account = (id: string, kind: 'caldav' | 'carddav') => ({
    id,
    kind,
    url: o.url,
    username: o.username,
    secret: { env: o.passwordEnv },
    interval: o.interval,
  });
  const home = new DaemonHome({
    name: o.name,
    config: { accounts: [account(o.cal, 'caldav'), account(o.card, 'carddav')] },
    secrets: { [o.passwordEnv]: o.password },
  });
  await home.startDaemon();
  await home.accountState(o.cal, 'waiting');
  await home.accountState(o.card, 'waiting');
  return home;
}

/** A signal as the assertions compare it: who said it, about what, which titles. */
export interface Brief {
  account: string;
  collection: string;
  /** Item titles; an item without one (no SUMMARY, no FN) is `undefined`. */
  added: (string | undefined)[];
  changed: (string | undefined)[];
  removed: (string | undefined)[];
}

export const brief = (s: ChangeSignal): Brief => ({
  account: s.accountId,
  collection: s.collection,
  added: s.added.map((i) => i.title),
  changed: s.changed.map((i) => i.title),
  removed: s.removed.map((i) => i.title),
});

/** Matches a signal of `account` whose `key` list holds an item titled `title`. */
export const has =
  (account: string, title: string, key: 'added' | 'changed' | 'removed' = 'added') =>
  (s: ChangeSignal) =>
    s.accountId === account && s[key].some((i) => i.title === title);

export interface DavChecksOptions {
  /** The running suite's home (set in beforeAll). */
  home: () => DaemonHome;
  cal: string;
  card: string;
  /** How long one check of the user's collections may take. */
  withinMs: number;
  /** Makes the sentinel titles unique to this run. */
  tag: string;
  /**
   * PUTs sentinel `n`: an event with summary `event` and a contact named `contact` (one word,
   * usable as a family name); returns the contact's title as its signal carries it.
   */
  putSentinel: (n: number, event: string, contact: string) => Promise<string>;
}

/** The check-driven helpers of one suite. */
export function davChecks(o: DavChecksOptions) {
  const { cal: CAL, card: CARD } = o;
  let sentinels = 0;
  /** The signals after the first `n`, briefly, of one account or both. */
  const after = (n: number, account?: string) =>
    o
      .home()
      .signals.slice(n)
      .map((s) => brief(s.signal))
      .filter((b) => account === undefined || b.account === account);
  /** Rethrows with every signal seen and the daemon's log tail. */
  const fail = (err: Error): never => {
    const home = o.home();
    throw new Error(
      `${err.message}; seen ${JSON.stringify(home.signals.map((s) => brief(s.signal)))}\n${home.logTail()}`,
    );
  };
  /** `tidings check [account]`, then waits for a signal after it that `match` accepts. */
  const checkFor = async (account: string | undefined, what: string, match: (s: ChangeSignal) => boolean) => {
    const home = o.home();
    const n = home.signals.length;
    await home.cli(['check', ...(account ? [account] : [])]);
    return waitFor(what, o.withinMs, () => home.signals.slice(n).find((s) => match(s.signal))).catch(fail);
  };
  /**
   * A sentinel event and contact, and one more check of both accounts: once both are announced,
   * anything the earlier checks would repeat has been published. Returns the two signals' briefs.
   */
  const settle = async (): Promise<{ cal: Brief; card: Brief }> => {
    const home = o.home();
    const n = ++sentinels;
    const ev = `Sentinel ${n} ${o.tag}`;
    const ct = await o.putSentinel(n, ev, `Sentinel${n}${o.tag}`);
    const k = home.signals.length;
    await home.cli(['check']);
    await waitFor(`sentinel ${n} announced by both accounts`, o.withinMs, () =>
      home.signals.slice(k).some((s) => has(CAL, ev)(s.signal)) &&
      home.signals.slice(k).some((s) => has(CARD, ct)(s.signal))
        ? true
        : undefined,
    ).catch(fail);
    return {
      cal: { account: CAL, collection: 'calendar', added: [ev], changed: [], removed: [] },
      card: { account: CARD, collection: 'contacts', added: [ct], changed: [], removed: [] },
    };
  };

  /** Issue 14 (d): one `tidings check` announces the event and the contact just PUT, and nothing else. */
  const checkAnnouncesBoth = async (event: string, contact: string) => {
    const home = o.home();
    const n = home.signals.length;
    const t = Date.now();
    await home.cli(['check']);
    await waitFor('both changes announced', o.withinMs, () =>
      after(n).length >= 2 ? true : undefined,
    ).catch(fail);
    // Hourly polling and the start-up check done: only this check can announce them.
    for (const s of home.signals.slice(n)) expect(s.at).toBeGreaterThanOrEqual(t);
    const s = await settle();
    expect(after(n, CAL)).toEqual([
      { account: CAL, collection: 'calendar', added: [event], changed: [], removed: [] },
      s.cal,
    ]);
    expect(after(n, CARD)).toEqual([
      { account: CARD, collection: 'contacts', added: [contact], changed: [], removed: [] },
      s.card,
    ]);
    expect(after(n)).toHaveLength(4);
  };

  /**
   * The signals after the first `n`, once settled: `contact` added, removed and added again;
   * `event` added and edited three times; each with its own signal id.
   */
  const expectReaddedAndEdited = async (n: number, contact: string, event: string) => {
    const s = await settle();
    const added = { account: CARD, collection: 'contacts', changed: [], removed: [] };
    expect(after(n, CARD)).toEqual([
      { ...added, added: [contact] },
      { account: CARD, collection: 'contacts', added: [], changed: [], removed: [contact] },
      { ...added, added: [contact] },
      s.card,
    ]);
    const edit = { account: CAL, collection: 'calendar', added: [], changed: [event], removed: [] };
    expect(after(n, CAL)).toEqual([
      { account: CAL, collection: 'calendar', added: [event], changed: [], removed: [] },
      edit,
      edit,
      edit,
      s.cal,
    ]);
    const ids = o
      .home()
      .signals.slice(n)
      .map((x) => x.signal.id);
    expect(new Set(ids).size).toBe(ids.length);
  };

  /**
   * Events PUT one by one while the test checks; the daemon is SIGKILLed after `killAt` and
   * started again after `startAt`. Then: every event announced exactly once, nothing changed or
   * removed, no signal id twice.
   */
  const killWhileChecking = async (plan: {
    events: number;
    killAt: number;
    startAt: number;
    checkAfter: (i: number) => boolean;
    put: (i: number, title: string) => Promise<unknown>;
    tag: string;
  }) => {
    const home = o.home();
    const n = home.signals.length;
    const titles: string[] = [];
    for (let i = 1; i <= plan.events; i++) {
      const title = `Through a kill ${i} ${plan.tag}`;
      titles.push(title);
      await plan.put(i, title);
      // Checks run while events keep coming; the kill lands in or between them.
      if (i === plan.killAt) await home.killDaemon();
      if (i === plan.startAt) await home.startDaemon();
      if (plan.checkAfter(i)) await home.cli(['check', CAL]);
    }
    await home.accountState(CAL, 'waiting');
    await home.cli(['check', CAL]);
    await waitFor('every event announced', o.withinMs * 2, () =>
      titles.every((t) => after(n).some((b) => b.added.includes(t))) ? true : undefined,
    ).catch(fail);
    const s = await settle();
    const added = after(n).flatMap((b) => b.added);
    for (const t of titles) expect(added.filter((x) => x === t)).toEqual([t]);
    expect(added.sort()).toEqual([...titles, ...s.cal.added, ...s.card.added].sort());
    expect(after(n).flatMap((b) => [...b.changed, ...b.removed])).toEqual([]);
    const ids = home.signals.map((x) => x.signal.id);
    expect(new Set(ids).size).toBe(ids.length);
  };

  return { after, fail, checkFor, settle, checkAnnouncesBoth, expectReaddedAndEdited, killWhileChecking };
}
