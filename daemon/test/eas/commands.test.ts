import { child, el, int, path, text, type WbxmlElement } from '@tidings/wbxml';
import { describe, expect, it } from 'vitest';
import { drain, type SyncRound } from '../../src/eas/collection-sync';
import * as folderSync from '../../src/eas/commands/folder-sync';
import * as ping from '../../src/eas/commands/ping';
import * as provision from '../../src/eas/commands/provision';
import * as sync from '../../src/eas/commands/sync';
import type { EasConnection, SendOptions } from '../../src/eas/connection';

/** A plain-object connection: answers from a script, records what was sent. */
function conn(version: string, answers: (WbxmlElement | undefined)[]) {
  const sentBodies: { command: string; body: WbxmlElement | undefined; opts: SendOptions | undefined }[] = [];
  const c: EasConnection = {
    version,
    policyKey: undefined,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    send: async (command, body, opts) => {
      sentBodies.push({ command, body, opts });
      if (answers.length === 0) throw new Error('no scripted answer left');
      return answers.shift();
    },
  };
  return { c, sentBodies };
}
const p = (tag: string, ...c: Parameters<typeof el>[2][]) => el('Provision', tag, ...c);
const as = (tag: string, ...c: Parameters<typeof el>[2][]) => el('AirSync', tag, ...c);

describe('commands against a plain-object connection', () => {
  it('Ping: full body with heartbeat and folders; HTTP deadline = heartbeat + 30 s margin', async () => {
    const { c, sentBodies } = conn('14.1', [el('Ping', 'Ping', el('Ping', 'Status', 1))]);
    const r = await ping.run(c, { heartbeat: 480, folders: [{ id: '2', class: 'Email' }] });
    expect(r).toEqual({ status: 1, changed: [] });
    expect(int(sentBodies[0]?.body, 'HeartbeatInterval')).toBe(480);
    expect(sentBodies[0]?.opts?.timeoutMs).toBe(510_000);
  });

  it('Ping: the cached form sends no body; Status 2 lists folders; a common status throws', async () => {
    const { c, sentBodies } = conn('14.1', [
      el('Ping', 'Ping', el('Ping', 'Status', 2), el('Ping', 'Folders', el('Ping', 'Folder', '8'))),
      el('Ping', 'Ping', el('Ping', 'Status', 111)),
    ]);
    expect((await ping.run(c, { heartbeat: 60, folders: 'cached' })).changed).toEqual(['8']);
    expect(sentBodies[0]?.body).toBeUndefined();
    await expect(ping.run(c, { heartbeat: 60, folders: 'cached' })).rejects.toMatchObject({
      code: 'EAS_ERR_SERVER',
      easStatus: 111,
    });
  });

  it('Provision: Policy Status 2 stops after one round', async () => {
    const { c, sentBodies } = conn('14.1', [
      p(
        'Provision',
        p('Status', 1),
        p('Policies', p('Policy', p('PolicyType', 'MS-EAS-Provisioning-WBXML'), p('Status', 2))),
      ),
    ]);
    expect(await provision.run(c)).toEqual({ policyKey: undefined, unmet: [] });
    expect(sentBodies).toHaveLength(1);
  });

  it('Provision: Provision Status 3 is EAS_ERR_PROVISION with the status', async () => {
    const { c } = conn('14.1', [p('Provision', p('Status', 3))]);
    await expect(provision.run(c)).rejects.toMatchObject({
      code: 'EAS_ERR_PROVISION',
      easStatus: 3,
      command: 'Provision',
    });
  });

  it('Provision: two phases, the ack carries the temporary key', async () => {
    const policy = (key: string, ...extra: ReturnType<typeof el>[]) =>
      p(
        'Provision',
        p('Status', 1),
        p('Policies', p('Policy', p('PolicyType', 'x'), p('Status', 1), p('PolicyKey', key), ...extra)),
      );
    const { c, sentBodies } = conn('14.0', [
      policy('111', p('Data', p('EASProvisionDoc', p('DevicePasswordEnabled', 0)))),
      policy('222'),
    ]);
    expect(
      await provision.run(c, {
        deviceInfo: { model: 'm', friendlyName: 'f', os: 'o', osLanguage: 'en', userAgent: 'u' },
      }),
    ).toEqual({
      policyKey: '222',
      unmet: [],
    });
    expect(child(sentBodies[0]?.body, 'DeviceInformation', 'Settings')).toBeUndefined(); // 14.0: via Settings
    expect(text(path(sentBodies[1]?.body, 'Policies', 'Policy'), 'PolicyKey')).toBe('111');
  });

  it('FolderSync: Status 9 is EAS_ERR_SYNC_STATE', async () => {
    const { c } = conn('14.1', [el('FolderHierarchy', 'FolderSync', el('FolderHierarchy', 'Status', 9))]);
    await expect(folderSync.run(c, { syncKey: '5' })).rejects.toMatchObject({
      code: 'EAS_ERR_SYNC_STATE',
      easStatus: 9,
    });
  });

  it('Sync: an empty 200 body means no changes; top-level Status 12 means hierarchy changed', async () => {
    const { c } = conn('14.1', [undefined, as('Sync', as('Status', 12))]);
    const [r] = await sync.run(c, { collections: [{ id: '2', collection: 'mail', syncKey: '7' }] });
    expect(r).toMatchObject({ status: 1, syncKey: '7', added: [] });
    await expect(
      sync.run(c, { collections: [{ id: '2', collection: 'mail', syncKey: '7' }] }),
    ).rejects.toMatchObject({
      code: 'EAS_ERR_HIERARCHY_CHANGED',
    });
  });

  it('drain: keeps syncing until an answer without changes (SOGo), handing each round over to commit', async () => {
    const coll = (key: string, ...cmds: ReturnType<typeof el>[]) =>
      as(
        'Sync',
        as(
          'Collections',
          as(
            'Collection',
            as('SyncKey', key),
            as('CollectionId', '2'),
            as('Status', 1),
            cmds.length > 0 && as('Commands', cmds),
          ),
        ),
      );
    const add = (id: string) =>
      as('Add', as('ServerId', id), as('ApplicationData', el('Email', 'Subject', id)));
    const { c, sentBodies } = conn('14.1', [coll('3', add('a')), coll('4', add('b')), coll('4')]);
    const client = { sync: (cols: sync.SyncRequest[]) => sync.run(c, { collections: cols }) };
    const rounds: SyncRound[] = [];
    await drain(client, { id: '2', collection: 'mail', syncKey: '2' }, (r) => rounds.push(r));
    expect(rounds.map((r) => [r.fromKey, r.syncKey, r.done, r.added.map((i) => i.title)])).toEqual([
      ['2', '3', false, ['a']],
      ['3', '4', false, ['b']],
      ['4', '4', true, []],
    ]);
    expect(sentBodies).toHaveLength(3);
  });

  it('drain: a baseline (key 0, or one interrupted by a crash) hands over no items', async () => {
    const coll = (key: string, ...cmds: ReturnType<typeof el>[]) =>
      as(
        'Sync',
        as(
          'Collections',
          as(
            'Collection',
            as('SyncKey', key),
            as('CollectionId', '2'),
            as('Status', 1),
            cmds.length > 0 && as('Commands', cmds),
          ),
        ),
      );
    const add = (id: string) =>
      as('Add', as('ServerId', id), as('ApplicationData', el('Email', 'Subject', id)));
    const { c } = conn('14.1', [coll('8', add('old')), coll('8')]);
    const client = { sync: (cols: sync.SyncRequest[]) => sync.run(c, { collections: cols }) };
    const rounds: SyncRound[] = [];
    await drain(client, { id: '2', collection: 'mail', syncKey: '7', baseline: true }, (r) => rounds.push(r));
    expect(rounds.map((r) => [r.baseline, r.done, r.added.length])).toEqual([
      [true, false, 0],
      [true, true, 0],
    ]);
  });
});
