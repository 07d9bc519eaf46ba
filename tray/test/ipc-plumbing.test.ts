import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpcError } from '../../daemon/src/ipc/errors';
import { TrayError } from '../src/errors';
import { toTrayError, unreachableReason } from '../src/main/daemon-connection';
import { settle } from '../src/main/handlers';
import { isOwnPage } from '../src/main/own-page';
import { ReadyQueue } from '../src/main/ready-queue';

describe('events to pages that are not listening yet', () => {
  it('holds the latest payload of each event and flushes them in order once the page is ready', () => {
    const q = new ReadyQueue<object, 'status' | 'other'>();
    const page = {};
    const got: [string, unknown][] = [];
    const deliver = (name: string, payload: unknown) => got.push([name, payload]);
    q.push(page, 'status', 1, deliver);
    q.push(page, 'other', 'a', deliver);
    q.push(page, 'status', 2, deliver);
    expect(got).toEqual([]);
    q.ready(page, deliver);
    expect(got).toEqual([
      ['other', 'a'],
      ['status', 2],
    ]);
    q.push(page, 'status', 3, deliver);
    expect(got.at(-1)).toEqual(['status', 3]);
  });
  it('keeps pages apart', () => {
    const q = new ReadyQueue<object, 'status'>();
    const a = {};
    const b = {};
    const got: unknown[] = [];
    q.push(a, 'status', 'for a', (_n, p) => got.push(p));
    q.ready(b, (_n, p) => got.push(p));
    expect(got).toEqual([]);
    q.ready(a, (_n, p) => got.push(p));
    expect(got).toEqual(['for a']);
  });
});

describe('which frames may call main', () => {
  const page = join('/opt', 'Tidings', 'resources', 'app.asar', 'dist', 'renderer', 'index.html');
  it('accepts the settings page with any route', () => {
    expect(isOwnPage(page, 'file:///opt/Tidings/resources/app.asar/dist/renderer/index.html')).toBe(true);
    expect(
      isOwnPage(page, 'file:///opt/Tidings/resources/app.asar/dist/renderer/index.html#accounts/work'),
    ).toBe(true);
  });
  it('refuses anything else', () => {
    for (const url of [
      'https://evil.example/index.html',
      'file:///tmp/index.html',
      'file:///opt/Tidings/resources/app.asar/dist/renderer/other.html',
      'file:///opt/Tidings/resources/app.asar/dist/renderer/index.html?x=1',
      'not a url',
      '',
    ]) {
      expect(isOwnPage(page, url), url).toBe(false);
    }
  });
});

describe('errors across the bridge', () => {
  it('turns a failure into a coded value and a success into a value', async () => {
    expect(await settle(async () => 42)).toEqual({ ok: true, value: 42 });
    const unreachable = await settle(async () => {
      throw new IpcError('IPC_ERR_NOT_RUNNING', 'nothing listens');
    });
    expect(unreachable).toEqual({
      ok: false,
      error: { code: 'TRAY_ERR_DAEMON_UNREACHABLE', message: 'The daemon is not running.' },
    });
  });
  it('keeps the JSON-RPC code and names the field of invalid params', () => {
    const invalid = toTrayError(
      new IpcError('IPC_ERR_REMOTE', 'invalid params: minutes: too small', {
        rpcCode: -32602,
        data: { issues: [{ path: 'minutes', reason: 'too small' }] },
      }),
    );
    expect(invalid.toInfo()).toEqual({
      code: 'TRAY_ERR_INVALID_INPUT',
      message: 'invalid params: minutes: too small',
      field: 'minutes',
      rpcCode: -32602,
    });
    expect(toTrayError(new IpcError('IPC_ERR_REMOTE', 'no such method', { rpcCode: -32601 })).code).toBe(
      'TRAY_ERR_UNSUPPORTED',
    );
    expect(
      toTrayError(new IpcError('IPC_ERR_REMOTE', 'keyring locked', { rpcCode: -32006 })).toInfo(),
    ).toEqual({
      code: 'TRAY_ERR_DAEMON',
      message: 'keyring locked',
      rpcCode: -32006,
    });
    const own = new TrayError('TRAY_ERR_SIGN_IN', 'cancelled');
    expect(toTrayError(own)).toBe(own);
  });
  it('says why the daemon cannot be reached in plain words', () => {
    expect(unreachableReason(new IpcError('IPC_ERR_PROTOCOL', 'x'))).toBe(
      'The daemon speaks another protocol version; update Tidings',
    );
    expect(unreachableReason(new IpcError('IPC_ERR_TIMEOUT', 'x'))).toBe('The daemon does not answer');
    expect(unreachableReason(new Error('boom'))).toBe('The connection to the daemon failed');
  });
});
