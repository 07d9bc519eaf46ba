import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTERNAL } from '../../scripts/build-daemon';

/**
 * Stages the daemon the tray package ships (issue 16: "ship the daemon inside the tray package"):
 * the root bundle (`dist/tidings.mjs` and its chunks, from `npm run build` at the repository
 * root) and the packages the bundle leaves external, with their run-time dependencies, into
 * tray/dist-daemon/ (dist/, node_modules/, package.json). electron-builder copies that to resources/daemon (electron-builder.yml),
 * where the tray runs it with Electron's own Node (src/main/daemon-launcher.ts). better-sqlite3
 * is then rebuilt for the tray's Electron: its ABI is not Node's. Run by `npm run dist -w tray`.
 */
const TRAY = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(TRAY, '..');

/**
 * Needed to install a package, not to run it (better-sqlite3 fetches its prebuilt binary with
 * prebuild-install); pino-pretty only formats logs for a terminal, which the tray's daemon has not.
 */
const INSTALL_ONLY: ReadonlySet<string> = new Set(['prebuild-install', 'pino-pretty']);

/**
 * The bundle's externals that run in the daemon: the build's own list, so a package the bundle
 * newly leaves out is staged too instead of missing at the first run of the packaged tray.
 */
export const DAEMON_EXTERNALS = EXTERNAL.filter((name) => !INSTALL_ONLY.has(name));

/** Inside a package: what running it never reads (sources of the native build, its objects). */
function runtimeFile(pkgDir: string, path: string): boolean {
  const rel = relative(pkgDir, path).split(sep);
  if (rel[0] === 'deps' || rel[0] === 'src') return false;
  if (rel[0] === 'build' && rel[1] === 'Release' && rel.length > 2 && !rel[2]!.endsWith('.node'))
    return false;
  if (rel[0] === 'build' && rel[1] !== 'Release' && rel.length > 1) return false;
  return true;
}

export interface StageOptions {
  /** The root bundle directory; default <root>/dist. */
  bundleDir?: string;
  /** Output; default tray/dist-daemon. */
  out?: string;
  /** Where the packages come from; default <root>/node_modules. */
  nodeModules?: string;
  /** Rebuild native modules for this Electron version; false leaves them built for Node (tests). */
  electronVersion?: string | false;
}

/** Copies `name` and, recursively, what it needs at run time; returns the package names copied. */
function copyPackage(name: string, from: string, to: string, seen: Set<string>, optional: boolean): void {
  if (seen.has(name) || INSTALL_ONLY.has(name)) return;
  const src = join(from, name);
  if (!existsSync(join(src, 'package.json'))) {
    // Optional dependencies are other platforms' builds (@napi-rs/keyring-darwin-arm64 …).
    if (optional) return;
    throw new Error(`${name} is not installed in ${from}: run npm ci at the repository root`);
  }
  seen.add(name);
  cpSync(src, join(to, name), {
    recursive: true,
    dereference: true,
    filter: (path) => runtimeFile(src, path),
  });
  const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(pkg.dependencies ?? {})) copyPackage(dep, from, to, seen, false);
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) copyPackage(dep, from, to, seen, true);
}

/** Stages the daemon; returns the output directory and the packages it holds. */
export async function stageDaemon(opts: StageOptions = {}): Promise<{ out: string; packages: string[] }> {
  const bundleDir = opts.bundleDir ?? join(ROOT, 'dist');
  const out = opts.out ?? join(TRAY, 'dist-daemon');
  const nodeModules = opts.nodeModules ?? join(ROOT, 'node_modules');
  if (!existsSync(join(bundleDir, 'tidings.mjs')))
    throw new Error(`no daemon bundle in ${bundleDir}: run \`npm run build\` at the repository root first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // dist/ beside a package.json, as in the repository: the bundle reads its version from
  // ../package.json (daemon/src/version.ts), and resolves its externals from ../node_modules.
  cpSync(bundleDir, join(out, 'dist'), {
    recursive: true,
    filter: (p) => p === bundleDir || p.endsWith('.mjs') || p.endsWith(`${sep}chunks`),
  });
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const seen = new Set<string>();
  for (const name of DAEMON_EXTERNALS) copyPackage(name, nodeModules, join(out, 'node_modules'), seen, false);
  const packages = [...seen].sort();
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify(
      {
        name: 'tidings-daemon',
        version,
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(
          DAEMON_EXTERNALS.map((n) => [
            n,
            (
              JSON.parse(readFileSync(join(out, 'node_modules', n, 'package.json'), 'utf8')) as {
                version: string;
              }
            ).version,
          ]),
        ),
      },
      null,
      2,
    )}\n`,
  );
  const electronVersion = opts.electronVersion ?? electronOfTray();
  if (electronVersion !== false) {
    // better-sqlite3 is a Node-API-less addon: built for Node's ABI it does not load in
    // Electron. @napi-rs/keyring is N-API, which Electron keeps compatible.
    const { rebuild } = await import('@electron/rebuild');
    await rebuild({ buildPath: out, electronVersion, onlyModules: ['better-sqlite3'], force: true });
  }
  return { out, packages };
}

/** The Electron version the tray is built with. */
function electronOfTray(): string {
  const require = createRequire(join(TRAY, 'package.json'));
  return (require('electron/package.json') as { version: string }).version;
}

if (import.meta.filename === process.argv[1]) {
  const { out, packages } = await stageDaemon();
  console.log(`staged the daemon in ${out}: ${packages.join(', ')}`);
}
