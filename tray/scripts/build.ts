import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { isClientId } from '../../daemon/src/cli/oauth-client';

/**
 * Bundles the tray into dist/: main and preload for Electron, the settings page for its
 * sandboxed renderer. Run with `npm run build -w tray` (tsx scripts/build.ts); tests call
 * buildTray() into a temporary directory.
 */
const TRAY = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(TRAY, 'src');

export interface BuildTrayOptions {
  /** Output directory; default tray/dist. */
  outdir?: string;
  /** Only the settings page (the Chromium tests need nothing else). */
  rendererOnly?: boolean;
  minify?: boolean;
  /**
   * The Entra application id built in (docs/microsoft-365.md), as the daemon bundle has it;
   * default TIDINGS_OAUTH_CLIENT_ID at build time. The add form then fills it in.
   */
  oauthClientId?: string;
}

/** Builds and returns the absolute paths of the outputs. */
export async function buildTray(
  opts: BuildTrayOptions = {},
): Promise<{ main: string; preload: string; page: string }> {
  const out = resolve(opts.outdir ?? join(TRAY, 'dist'));
  await rm(out, { recursive: true, force: true });
  const clientId = (opts.oauthClientId ?? process.env.TIDINGS_OAUTH_CLIENT_ID ?? '').trim();
  if (clientId !== '' && !isClientId(clientId))
    throw new Error(
      `TIDINGS_OAUTH_CLIENT_ID must be an Entra application (client) id, a GUID; got "${clientId}"`,
    );
  const common: BuildOptions = {
    bundle: true,
    define: {
      __TIDINGS_OAUTH_CLIENT_ID__: JSON.stringify(clientId),
      // A distributor's Google desktop client (docs/gmail.md): main signs Gmail accounts in with
      // both; the settings page reads only the id (oauth/google-client.ts).
      __TIDINGS_GOOGLE_CLIENT_ID__: JSON.stringify((process.env.TIDINGS_GOOGLE_CLIENT_ID ?? '').trim()),
      __TIDINGS_GOOGLE_CLIENT_SECRET__: JSON.stringify(
        (process.env.TIDINGS_GOOGLE_CLIENT_SECRET ?? '').trim(),
      ),
    },
    logLevel: 'warning',
    sourcemap: 'linked',
    minify: opts.minify ?? false,
    legalComments: 'none',
  };
  const jobs: Promise<unknown>[] = [
    // The settings page: plain script, no Node, no Electron (the preload gives it window.tidings).
    build({
      ...common,
      entryPoints: [join(SRC, 'renderer', 'app.ts')],
      outfile: join(out, 'renderer', 'app.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome130',
    }),
  ];
  if (!opts.rendererOnly) {
    jobs.push(
      // Main process: CommonJS because tray/package.json says "type": "module" and Electron
      // loads main.cjs as CJS regardless; electron itself is provided by the runtime.
      build({
        ...common,
        entryPoints: [join(SRC, 'main', 'main.ts')],
        outfile: join(out, 'main', 'main.cjs'),
        platform: 'node',
        format: 'cjs',
        target: 'node22',
        external: ['electron'],
      }),
      // A sandboxed preload may only require('electron') and a few polyfilled modules, so it is
      // one self-contained CommonJS file (Electron docs, "Process Sandboxing", preload scripts).
      build({
        ...common,
        entryPoints: [join(SRC, 'preload', 'preload.ts')],
        outfile: join(out, 'preload', 'preload.cjs'),
        platform: 'browser',
        format: 'cjs',
        target: 'chrome130',
        external: ['electron'],
      }),
    );
  }
  await Promise.all(jobs);
  await mkdir(join(out, 'renderer'), { recursive: true });
  await copyFile(join(SRC, 'renderer', 'index.html'), join(out, 'renderer', 'index.html'));
  await copyFile(join(SRC, 'renderer', 'styles.css'), join(out, 'renderer', 'styles.css'));
  return {
    main: join(out, 'main', 'main.cjs'),
    preload: join(out, 'preload', 'preload.cjs'),
    page: join(out, 'renderer', 'index.html'),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildTray({ minify: process.argv.includes('--minify') });
  console.log(`built ${out.main}\n      ${out.preload}\n      ${out.page}`);
}
