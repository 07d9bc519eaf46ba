import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTray } from '../scripts/build';
import { iconFiles } from '../scripts/icons';
import { decodePng } from '../scripts/png';
import { ICON_STATES, iconFile } from '../src/main/tray-model';

const TRAY = resolve(import.meta.dirname, '..');
const BUILD = resolve(TRAY, '..', 'build');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId?: string;
  directories?: { buildResources?: string };
  linux?: { target?: string[]; icon?: string; maintainer?: string; executableName?: string };
  mac?: { target?: string; icon?: string };
  win?: { target?: string; icon?: string };
  extraResources?: { from: string; to: string }[];
}

// electron-builder's own loader and JSON-schema check, without packaging anything (no Electron binary here).
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util/out/DebugLogger.js') as {
  DebugLogger: new (enabled: boolean) => unknown;
};

describe('electron-builder configuration', () => {
  it("passes electron-builder's schema validation", async () => {
    const config = await getConfig(TRAY, join(TRAY, 'electron-builder.yml'), null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage, deb, dmg and nsis as org.tidings.tray with build/ as resources', async () => {
    const config = await getConfig(TRAY, join(TRAY, 'electron-builder.yml'), null);
    expect(config.appId).toBe('org.tidings.tray');
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toBe('dmg');
    expect(config.win?.target).toBe('nsis');
    expect(resolve(TRAY, config.directories?.buildResources ?? '')).toBe(BUILD);
    const icon = decodePng(await readFile(join(BUILD, 'icon.png')));
    expect([icon.width, icon.height]).toEqual([512, 512]);
    for (const platform of [config.linux, config.mac, config.win]) expect(platform?.icon).toBe('icon.png');
    expect(config.extraResources).toContainEqual(
      expect.objectContaining({ from: '../build/icons', to: 'icons' }),
    );
    // The daemon ships beside the app, where src/main/daemon-launcher.ts looks for it.
    expect(config.extraResources).toContainEqual(
      expect.objectContaining({ from: 'dist-daemon', to: 'daemon' }),
    );
  });

  it('names a deb maintainer with an e-mail, and the autostart icon after the package (issue 16)', async () => {
    const config = await getConfig(TRAY, join(TRAY, 'electron-builder.yml'), null);
    expect(config.linux?.maintainer).toMatch(/^[^<>]+ <[^@<>\s]+@[^@<>\s]+>$/);
    const pkg = JSON.parse(await readFile(join(TRAY, 'package.json'), 'utf8')) as {
      author: { email?: string };
    };
    expect(config.linux?.maintainer).toContain(`<${pkg.author.email}>`);
    expect(config.linux?.executableName).toBe('tidings-tray');
    const { autostartEntry } = await import('../src/main/autostart');
    expect(autostartEntry('/x')).toContain(`\nIcon=${config.linux?.executableName}\n`);
  });

  it('rejects a broken configuration (the check is real)', async () => {
    const config = await getConfig(TRAY, join(TRAY, 'electron-builder.yml'), null);
    const misspelt = {
      ...config,
      directories: undefined,
      directorys: config.directories,
    } as unknown as BuilderConfig;
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/directorys/);
    const wrongType = { ...config, asar: 'yes please' } as unknown as BuilderConfig;
    await expect(validateConfiguration(wrongType, new DebugLogger(false))).rejects.toThrow(/asar/);
  });
});

describe('bundles', () => {
  it('bundles main and preload; the sandboxed preload needs nothing but electron', async () => {
    const out = await mkdtemp(join(tmpdir(), 'tidings-tray-build-'));
    try {
      const built = await buildTray({ outdir: out });
      const preload = await readFile(built.preload, 'utf8');
      // A sandboxed preload can require only 'electron' and a few polyfills (Electron "Process Sandboxing").
      expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
      expect(preload).toContain('exposeInMainWorld');
      const main = await readFile(built.main, 'utf8');
      expect(main).toContain('require("electron")');
      expect(main).toContain('requestSingleInstanceLock');
      const page = await readFile(built.page, 'utf8');
      expect(page).toContain('<script src="app.js" defer></script>');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('tray icons', () => {
  it('has a file for every icon the tray model can ask for, at 1x and 2x', async () => {
    for (const state of ICON_STATES) {
      for (const [theme, platform] of [
        ['light', 'linux'],
        ['dark', 'linux'],
        ['dark', 'darwin'],
      ] as const) {
        const name = iconFile(state, theme, platform);
        const one = decodePng(await readFile(join(BUILD, 'icons', name)));
        const two = decodePng(await readFile(join(BUILD, 'icons', name.replace('.png', '@2x.png'))));
        expect([one.width, two.width]).toEqual([16, 32]);
      }
    }
  });

  it('keeps macOS template images pure black with alpha, so the menu bar can recolour them', async () => {
    for (const state of ICON_STATES) {
      const img = decodePng(await readFile(join(BUILD, 'icons', `tray-${state}Template@2x.png`)));
      let opaque = 0;
      for (let i = 0; i < img.data.length; i += 4) {
        if (img.data[i + 3] === 0) continue;
        opaque++;
        expect([img.data[i], img.data[i + 1], img.data[i + 2]]).toEqual([0, 0, 0]);
      }
      expect(opaque).toBeGreaterThan(100);
    }
  });

  it('gives each state its own look', async () => {
    const pixels = await Promise.all(
      ICON_STATES.map(async (s) =>
        (await readFile(join(BUILD, 'icons', `tray-${s}-light@2x.png`))).toString('base64'),
      ),
    );
    expect(new Set(pixels).size).toBe(ICON_STATES.length);
  });

  it('matches what scripts/icons.ts draws (the committed PNGs are generated, not hand-edited)', async () => {
    const { encodePng } = await import('../scripts/png');
    for (const { file, size, pixels } of iconFiles()) {
      const committed = await readFile(join(BUILD, file));
      expect(committed.equals(encodePng({ width: size, height: size, data: pixels })), file).toBe(true);
    }
  });
});
