/**
 * The recorded SOGo 5.8 session (fixtures/recorded/sogo-5.8/session.json, written by
 * scripts/record-sogo.ts against the real server) replayed without SOGo:
 *  (a) every WBXML body SOGo sent and we sent decodes with our codec and re-encodes to the same
 *      bytes;
 *  (b) the engine's command parsers turn SOGo's answers into the typed results the watcher needs;
 *  (c) the EAS watcher, fed the recording through the replay dispatcher, sends exactly the
 *      recorded requests and publishes exactly the signals the live run published.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  all,
  child,
  decode,
  decodeDocument,
  encode,
  path,
  text,
  textOf,
  type WbxmlElement,
} from '@tidings/wbxml';
import { bodyBytes, type RecordedExchange, type Recording, ReplayDispatcher } from '@tidings/fixtures';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { easAccountSchema } from '../../src/config/account';
import { COMMANDS } from '../../src/eas/commands';
import type { PingFolder } from '../../src/eas/commands/ping';
import type { SyncRequest } from '../../src/eas/commands/sync';
import type { EasConnection } from '../../src/eas/connection';
import { applyHierarchy, collectionOf, watchedFolders } from '../../src/eas/folders';
import type { ChangeSignal, Collection } from '../../src/signal';
import { MemoryStore } from '../../src/store/memory-store';
import { createEasWatcher } from '../../src/watch/eas-watcher';

const FILE = fileURLToPath(new URL('../../../fixtures/recorded/sogo-5.8/session.json', import.meta.url));
const recording = JSON.parse(readFileSync(FILE, 'utf8')) as Recording;
const session = recording.meta?.session as {
  accountId: string;
  mail: { subject: string; from: { name: string; email: string } };
  event: { summary: string; start: string; location: string };
  contact: { given: string; family: string };
};
const liveSignals = recording.meta?.signals as Omit<ChangeSignal, 'observedAt'>[];
const exchanges = recording.exchanges;

const log = { debug() {}, info() {}, warn() {} };

/** A connection that answers the one recorded exchange, checking the engine sent the same bytes. */
function answering(ex: RecordedExchange): EasConnection {
  return {
    version: '14.1',
    policyKey: undefined,
    log,
    async send(command: string, body: WbxmlElement | undefined) {
      expect(command).toBe(ex.command);
      expect(body === undefined ? new Uint8Array(0) : encode(body)).toEqual(bodyBytes(ex.request.body));
      const bytes = bodyBytes(ex.response?.body);
      return bytes.length === 0 ? undefined : decode(bytes);
    },
  };
}

const requestTree = (ex: RecordedExchange) => decode(bodyBytes(ex.request.body));
const responseStatus = (ex: RecordedExchange) => {
  const bytes = bodyBytes(ex.response?.body);
  return bytes.length === 0 ? undefined : text(decode(bytes), 'Status');
};

describe('recorded SOGo 5.8 session: the recording itself', () => {
  it('holds the typical session, in order', () => {
    const cmds = exchanges.map((e) => e.command);
    expect(cmds.slice(0, 3)).toEqual(['OPTIONS', 'Provision', 'FolderSync']);
    const pings = exchanges.filter((e) => e.command === 'Ping');
    // Three Pings ended by a change (APPEND, event PUT, contact PUT), one that expired, one left open.
    expect(pings.map(responseStatus)).toEqual(['2', '2', '2', '1', undefined]);
    expect(pings.at(-1)?.response).toBeNull();
    expect(exchanges.every((e) => e.response === null || e.response.status === 200)).toBe(true);
  });
});

describe('(a) every recorded WBXML body round-trips through our codec', () => {
  const bodies = exchanges.flatMap((e) =>
    (
      [
        ['request', e.request.body],
        ['response', e.response?.body],
      ] as const
    )
      .filter(([, b]) => b)
      .map(([side, b]) => ({ name: `#${e.seq} ${e.command} ${side}`, bytes: bodyBytes(b) })),
  );

  it('there are bodies from both sides', () => {
    expect(bodies.filter((b) => b.name.endsWith('request')).length).toBeGreaterThan(10);
    expect(bodies.filter((b) => b.name.endsWith('response')).length).toBeGreaterThan(10);
  });

  it.each(bodies)('$name: decodes and re-encodes byte-identically', ({ bytes }) => {
    const doc = decodeDocument(bytes);
    expect(Buffer.from(encode(doc.root)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });
});

describe('(b) the command parsers read what SOGo sent', () => {
  const first = (cmd: string) => exchanges.find((e) => e.command === cmd)!;

  it('OPTIONS: SOGo offers up to 14.1, so 14.1 is negotiated', async () => {
    const ex = first('OPTIONS');
    const r = await COMMANDS.OPTIONS({
      options: async () => ({
        versions: (ex.response!.headers['ms-asprotocolversions'] ?? '').split(','),
        commands: (ex.response!.headers['ms-asprotocolcommands'] ?? '').split(','),
      }),
    });
    expect(r.serverVersions).toEqual(['2.5', '12.0', '12.1', '14.0', '14.1']);
    expect(r.version).toBe('14.1');
    expect(r.commands).toEqual(expect.arrayContaining(['Sync', 'FolderSync', 'Ping', 'Settings']));
    // SOGo does not list Provision, yet answers it (Policy Status 2, "no policy"): see #2.
    expect(r.commands).not.toContain('Provision');
  });

  it('FolderSync: the hierarchy maps Inbox, Calendar and Contacts to their collections', async () => {
    const r = await COMMANDS.FolderSync(answering(first('FolderSync')), { syncKey: '0' });
    const folders = applyHierarchy([], r);
    const byCollection = (c: Collection) =>
      folders.filter((f) => collectionOf(f.type) === c).map((f) => [f.name, f.type]);
    expect(byCollection('mail')).toContainEqual(['INBOX', 2]);
    expect(byCollection('calendar')).toContainEqual(['Personal Calendar', 8]);
    expect(byCollection('contacts')).toContainEqual(['Personal Address Book', 9]);
    // The watched set is what the first Ping names, in its order.
    const ping = first('Ping');
    expect(watchedFolders(folders, undefined, undefined).map((f) => f.id)).toEqual(ping.collections);
  });

  it('Provision: SOGo has no policy for us (Policy Status 2), so no key', async () => {
    const r = await COMMANDS.Provision(answering(first('Provision')), {
      deviceInfo: {
        model: 'Tidings',
        friendlyName: 'Tidings on HOST',
        os: 'OS',
        osLanguage: 'en',
        userAgent: 'Tidings/0.1',
      },
    });
    expect(r.policyKey).toBeUndefined();
    expect(r.wipe).toBeUndefined();
  });

  /** Runs the Sync parser on the first exchange of `collection` after the baseline with commands. */
  async function syncWithChanges(collection: Collection) {
    const folderId = liveSignals.find((s) => s.collection === collection)!.folder.id;
    const afterBaseline = exchanges.findIndex((e) => e.command === 'Ping');
    const ex = exchanges.find(
      (e, i) =>
        i > afterBaseline &&
        e.command === 'Sync' &&
        e.collections[0] === folderId &&
        (e.response?.body?.xml ?? '').includes('<Commands>'),
    )!;
    const req: SyncRequest = {
      id: folderId,
      collection,
      syncKey: /<SyncKey>([^<]*)</.exec(ex.request.body?.xml ?? '')?.[1] ?? '',
    };
    const [r] = await COMMANDS.Sync(answering(ex), { collections: [req] });
    return r!;
  }

  it('Sync: the new mail with its subject, sender, time and preview', async () => {
    const r = await syncWithChanges('mail');
    expect(r.status).toBe(1);
    expect(r.added).toEqual([
      expect.objectContaining({
        title: session.mail.subject,
        from: `${session.mail.from.name} <${session.mail.from.email}>`,
        start: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/),
        preview: 'The numbers are in. Carol',
        unread: true,
      }),
    ]);
  });

  it('Sync: the new event with its title, start, end and location', async () => {
    const r = await syncWithChanges('calendar');
    expect(r.added).toEqual([
      expect.objectContaining({
        title: session.event.summary,
        start: session.event.start,
        end: new Date(Date.parse(session.event.start) + 3600e3).toISOString(),
        location: session.event.location,
        kind: 'new',
      }),
    ]);
  });

  it('Sync: the new contact with its display name', async () => {
    const r = await syncWithChanges('contacts');
    expect(r.added).toEqual([
      expect.objectContaining({ title: `${session.contact.given} ${session.contact.family}` }),
    ]);
  });

  it('Ping: Status 2 names the changed folder; Status 1 names none', async () => {
    const pings = exchanges.filter((e) => e.command === 'Ping' && e.response);
    const first = requestTree(pings[0]!);
    const heartbeat = Number(text(first, 'HeartbeatInterval'));
    const folders = all(child(first, 'Folders'), 'Folder').map((f) => ({
      id: text(f, 'Id') ?? '',
      class: text(f, 'Class') as PingFolder['class'],
    }));
    const results = [];
    for (const ex of pings) {
      // The engine rebuilds the same request (or the empty-Ping shortcut) byte for byte.
      results.push(
        await COMMANDS.Ping(answering(ex), { heartbeat, folders: ex.request.body ? folders : 'cached' }),
      );
    }
    const id = (c: Collection) => liveSignals.find((s) => s.collection === c)!.folder.id;
    expect(results.map((r) => r.status)).toEqual([2, 2, 2, 1]);
    expect(results[0]!.changed).toEqual([id('mail')]);
    expect(results[1]!.changed).toContain(id('calendar'));
    expect(results[2]!.changed).toEqual([id('contacts')]);
    expect(results[3]!.changed).toEqual([]);
  });
});

describe('(c) the EAS watcher replayed against the recording', () => {
  it('sends exactly the recorded requests and publishes exactly the live signals', async () => {
    const replay = new ReplayDispatcher(recording);
    const published: ChangeSignal[] = [];
    const account = easAccountSchema().parse({
      id: session.accountId,
      kind: 'exchange',
      email: 'alice@tidings.test',
      username: 'alice',
      url: 'http://sogo.replay.invalid/SOGo/Microsoft-Server-ActiveSync',
      auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_UNUSED' } },
      heartbeat: { initial: 60, min: 60, max: 60 },
    });
    // SOGo needs a confirming Sync after each change (collection-sync.ts), which a watcher learns
    // at its first change (eas-watcher.test.ts); the recording is of one that had learned it.
    const store = new MemoryStore();
    store.commit(account.id, { set: { 'eas.confirmSync': true } });
    const watcher = createEasWatcher(
      account,
      {
        accountId: account.id,
        store,
        log: pino({ level: 'silent' }),
        secret: { get: async () => 'not-the-real-password' },
        publish: (s) => published.push(...s),
        setStatus: () => {},
      },
      { dispatcher: replay },
    );
    watcher.start();
    try {
      await replay.whenExhausted();
      // The last recorded Ping hangs, as it did live: the watcher is waiting on it.
      await new Promise((r) => setTimeout(r, 50));
      expect(watcher.status().state).toBe('waiting');
    } finally {
      await watcher.stop();
    }
    replay.assertDone();
    expect(replay.received.map((r) => r.command)).toEqual(exchanges.map((e) => e.command));
    // Every request body is the one the live engine sent, byte for byte — except Provision's
    // DeviceInformation, which names the machine and was scrubbed in the recording.
    replay.received.forEach((r, i) => {
      const want = exchanges[i]!.request.body;
      const got = Buffer.from(r.body ?? new Uint8Array(0));
      if (want?.scrubbed) {
        const policy = (b: Uint8Array) => textOf(path(decode(b), 'Policies', 'Policy', 'PolicyType'));
        expect(policy(got)).toBe('MS-EAS-Provisioning-WBXML');
        expect(policy(got)).toBe(policy(bodyBytes(want)));
        const info = (b: Uint8Array) => textOf(path(decode(b), 'DeviceInformation', 'Set', 'Model'));
        expect(info(got)).toBe(info(bodyBytes(want)));
      } else {
        expect(got.toString('hex'), `request #${i + 1}`).toBe(Buffer.from(bodyBytes(want)).toString('hex'));
      }
    });
    expect(published.map(({ observedAt: _, ...s }) => s)).toEqual(liveSignals);
    expect(published.map((s) => [s.collection, s.added.map((i) => [i.title, i.from])])).toEqual([
      ['mail', [[session.mail.subject, `${session.mail.from.name} <${session.mail.from.email}>`]]],
      ['calendar', [[session.event.summary, undefined]]],
      ['contacts', [[`${session.contact.given} ${session.contact.family}`, undefined]]],
    ]);
  });
});

describe('(c) the replay is strict', () => {
  it('a recording missing an exchange (the first Ping) makes the replayed watcher fail loudly', async () => {
    const i = exchanges.findIndex((e) => e.command === 'Ping');
    const cut: Recording = { ...recording, exchanges: exchanges.filter((_, n) => n !== i) };
    const replay = new ReplayDispatcher(cut);
    const account = easAccountSchema().parse({
      id: session.accountId,
      kind: 'exchange',
      email: 'alice@tidings.test',
      username: 'alice',
      url: 'http://sogo.replay.invalid/SOGo/Microsoft-Server-ActiveSync',
      auth: { type: 'basic', secret: { env: 'TIDINGS_TEST_UNUSED' } },
      heartbeat: { initial: 60, min: 60, max: 60 },
    });
    const watcher = createEasWatcher(
      account,
      {
        accountId: account.id,
        store: new MemoryStore(),
        log: pino({ level: 'silent' }),
        secret: { get: async () => 'x' },
        publish: () => {},
        setStatus: () => {},
      },
      { dispatcher: replay },
    );
    watcher.start();
    try {
      await expect(replay.whenExhausted()).rejects.toThrow(
        /replay: exchange #\d+ expected Sync \[.+\], got Ping \[/,
      );
    } finally {
      await watcher.stop();
    }
    expect(() => replay.assertDone()).toThrow();
  });
});
