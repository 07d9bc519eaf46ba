import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autostartEntry, autostartPath, setLinuxAutostart } from '../src/main/autostart';
import { SettingsStore } from '../src/main/settings-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidings-tray-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  it('gives defaults without a file and persists a change privately', async () => {
    const path = join(dir, 'sub', 'settings.json');
    const store = new SettingsStore(path);
    expect(await store.get()).toEqual({ openAtLogin: false });
    expect(await store.update({ openAtLogin: true })).toEqual({ openAtLogin: true });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ openAtLogin: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await new SettingsStore(path).get()).toEqual({ openAtLogin: true });
  });
  it('names the bad field of a corrupt file', async () => {
    const path = join(dir, 'settings.json');
    await writeFile(path, JSON.stringify({ openAtLogin: 'yes' }));
    await expect(new SettingsStore(path).get()).rejects.toMatchObject({
      code: 'TRAY_ERR_INVALID_INPUT',
      field: 'openAtLogin',
    });
    await writeFile(path, '{not json');
    await expect(new SettingsStore(path).get()).rejects.toMatchObject({ code: 'TRAY_ERR_INVALID_INPUT' });
  });
});

describe('start at login on Linux', () => {
  it('writes an XDG autostart entry and removes it again', async () => {
    const path = autostartPath({ XDG_CONFIG_HOME: dir });
    expect(path).toBe(join(dir, 'autostart', 'org.tidings.tray.desktop'));
    await setLinuxAutostart(true, '/opt/Tidings/tidings-tray', path);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('[Desktop Entry]');
    expect(text).toContain('Exec="/opt/Tidings/tidings-tray" --hidden');
    // The icon the deb/AppImage install is named after the package, tidings-tray (issue 16).
    expect(text).toContain('\nIcon=tidings-tray\n');
    await setLinuxAutostart(false, '/opt/Tidings/tidings-tray', path);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(setLinuxAutostart(false, 'x', path)).resolves.toBeUndefined();
  });
  it('quotes executable paths as the Desktop Entry spec asks', () => {
    expect(autostartEntry('/home/a b/Tidings$1.AppImage')).toContain(
      'Exec="/home/a b/Tidings\\$1.AppImage" --hidden',
    );
  });
});
