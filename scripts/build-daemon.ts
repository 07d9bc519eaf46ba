/**
 * Bundles the CLI and daemon into `dist/tidings.mjs` (plus lazily loaded chunks in `dist/`) with
 * esbuild, so production runs plain `node` — no tsx loader thread, no per-module transpile, no
 * source maps held in memory. `bin/tidings.js` uses the bundle when it exists and falls back to
 * tsx otherwise. Run: `npx tsx scripts/build-daemon.ts` (or `npm run build`).
 *
 * Native modules and packages that find files next to themselves at run time stay external:
 * better-sqlite3 (a .node addon), @napi-rs/keyring (a .node addon per platform), node-notifier
 * (runs binaries from its vendor directory). Dynamic `import()`s become their own chunks, so a
 * daemon without DAV accounts never loads the DAV watcher or ical.js (watch/dav-lazy.ts).
 *
 * Two plugins reach into dependencies' internals (undici's file layout, a line of pino's source).
 * Each checks what it relies on and fails the build, naming the file, when a dependency update
 * moved it; the versions they were written against are pinned exactly in daemon/package.json and
 * checked here too. `npm pack` runs this (prepack), so the install test (scripts/test/install.test.ts)
 * fails on such a break instead of shipping a bundle that loads the whole of undici or
 * worker_threads, or none of it.
 */
import { existsSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const OUT = join(ROOT, 'dist');

/**
 * Left out of the bundle and loaded from node_modules at run time, so the root package.json
 * declares each as a dependency (scripts/test/build-daemon.test.ts holds the two lists equal):
 * they are what `npm install -g` of the tarball installs. pino-pretty: loaded only when a person
 * watches the log on a terminal.
 */
export const EXTERNAL = ['better-sqlite3', '@napi-rs/keyring', 'node-notifier', 'pino-pretty'] as const;

/** A build-stopping error that names the plugin and what it no longer finds. */
function pluginBroke(plugin: string, what: string): Error {
  return new Error(
    `${plugin}: ${what} — a dependency update changed what this plugin patches; review scripts/build-daemon.ts before changing the pin in daemon/package.json`,
  );
}

/**
 * The installed version of `pkg` must be the exact one daemon/package.json pins: the plugins were
 * written against it. A range there, or a different install (a stale node_modules), stops the build.
 */
export function checkPinned(plugin: string, pkg: string, root: string = ROOT): string {
  const declared = (
    JSON.parse(readFileSync(join(root, 'daemon', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies[pkg];
  const installed = (
    JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
  if (declared === undefined || !/^\d+\.\d+\.\d+$/.test(declared))
    throw pluginBroke(plugin, `daemon/package.json must pin ${pkg} to an exact version (has ${declared})`);
  if (installed !== declared)
    throw pluginBroke(
      plugin,
      `node_modules has ${pkg} ${installed}, daemon/package.json pins ${declared} (run npm ci)`,
    );
  return installed;
}

/** Fails when `file` does not contain `needle` (the source text a plugin relies on). */
export function expectSource(plugin: string, file: string, needle: string): void {
  if (!existsSync(file)) throw pluginBroke(plugin, `${file} is gone`);
  if (!readFileSync(file, 'utf8').includes(needle))
    throw pluginBroke(plugin, `${file} no longer has: ${needle}`);
}

/**
 * An onResolve/onLoad hook that never ran means the plugin silently did nothing (a renamed
 * import): each plugin counts its hits and fails the build at the end if one is missing.
 */
function requireHits(b: Parameters<Plugin['setup']>[0], plugin: string, hits: Map<string, number>): void {
  b.onStart(() => {
    for (const k of hits.keys()) hits.set(k, 0);
  });
  b.onEnd((result) => {
    if (result.errors.length > 0) return;
    const missed = [...hits].filter(([, n]) => n === 0).map(([what]) => what);
    if (missed.length === 0) return;
    return {
      errors: missed.map((what) => ({ text: pluginBroke(plugin, `never applied: ${what}`).message })),
    };
  });
}

/**
 * undici's index requires all of undici (fetch, WebSocket, caches, mocks: ~19 MB of RSS when
 * loaded). The daemon uses a few dispatcher classes and `request`; this entry exports those,
 * built the way undici's index builds them.
 */
const UNDICI_SLIM = `'use strict'
const Dispatcher = require('./lib/dispatcher/dispatcher')
const Client = require('./lib/dispatcher/client')
const Pool = require('./lib/dispatcher/pool')
const Agent = require('./lib/dispatcher/agent')
const ProxyAgent = require('./lib/dispatcher/proxy-agent')
const DecoratorHandler = require('./lib/handler/decorator-handler')
const errors = require('./lib/core/errors')
const util = require('./lib/core/util')
const api = require('./lib/api')
const { getGlobalDispatcher, setGlobalDispatcher } = require('./lib/global')
Object.assign(Dispatcher.prototype, api)
function makeDispatcher (fn) {
  return (url, opts, handler) => {
    if (typeof opts === 'function') { handler = opts; opts = null }
    if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) throw new errors.InvalidArgumentError('invalid url')
    if (opts != null && typeof opts !== 'object') throw new errors.InvalidArgumentError('invalid opts')
    if (opts && opts.path != null) {
      if (typeof opts.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path')
      let path = opts.path
      if (!opts.path.startsWith('/')) path = '/' + path
      url = new URL(util.parseOrigin(url).origin + path)
    } else {
      if (!opts) opts = typeof url === 'object' ? url : {}
      url = util.parseURL(url)
    }
    const { agent, dispatcher = getGlobalDispatcher() } = opts
    if (agent) throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?')
    return fn.call(dispatcher, { ...opts, origin: url.origin, path: url.search ? url.pathname + url.search : url.pathname, method: opts.method || (opts.body ? 'PUT' : 'GET') }, handler)
  }
}
module.exports = { Dispatcher, Client, Pool, Agent, ProxyAgent, DecoratorHandler, errors, getGlobalDispatcher, setGlobalDispatcher, request: makeDispatcher(api.request) }
`;

/**
 * undici's Client requires its HTTP/2 half at load, and with it node:http2 (~3 MB of RSS: http2,
 * http, tls internals). The daemon never negotiates h2 (allowH2 is off), so the real module is
 * required on the first h2 connection only; esbuild evaluates a bundled CommonJS module at its
 * first require, so it stays unevaluated.
 */
const LAZY_H2 = `'use strict'
let real
module.exports = function connectH2 (...args) {
  real ??= require('./client-h2-real')
  return real(...args)
}
`;

/** The files UNDICI_SLIM requires, relative to undici's root. */
const UNDICI_SLIM_FILES = [...UNDICI_SLIM.matchAll(/require\('\.\/([^']+)'\)/g)].map((m) => m[1]!);

export const undiciSlim: Plugin = {
  name: 'undici-slim',
  setup(b) {
    const name = 'undici-slim';
    checkPinned(name, 'undici');
    const undiciDir = realpathSync(join(ROOT, 'node_modules', 'undici'));
    for (const f of UNDICI_SLIM_FILES) {
      const file = join(undiciDir, f);
      if (!existsSync(`${file}.js`) && !existsSync(join(file, 'index.js')))
        throw pluginBroke(name, `undici no longer has ${f} (UNDICI_SLIM requires it)`);
    }
    // What UNDICI_SLIM rebuilds from undici's index: if the index changes how it builds these,
    // the slim entry must follow.
    expectSource(name, join(undiciDir, 'index.js'), 'Object.assign(Dispatcher.prototype, api)');
    expectSource(name, join(undiciDir, 'index.js'), 'module.exports.request = makeDispatcher(api.request)');
    expectSource(name, join(undiciDir, 'lib', 'dispatcher', 'client.js'), "require('./client-h2.js')");
    const hits = new Map([
      ['undici → undici-slim', 0],
      ['./client-h2.js → lazy-h2', 0],
    ]);
    requireHits(b, name, hits);
    const hit = (k: string) => hits.set(k, (hits.get(k) ?? 0) + 1);
    b.onResolve({ filter: /^undici$/ }, () => {
      hit('undici → undici-slim');
      return { path: 'undici-slim', namespace: 'undici-slim' };
    });
    // Real path: esbuild resolves through a symlinked node_modules.
    const dispatcherDir = join(undiciDir, 'lib', 'dispatcher');
    b.onResolve({ filter: /^\.\/client-h2(\.js)?$/ }, (a) => {
      if (a.resolveDir !== dispatcherDir) return undefined;
      hit('./client-h2.js → lazy-h2');
      return { path: 'lazy-h2', namespace: 'undici-lazy-h2' };
    });
    b.onResolve({ filter: /^\.\/client-h2-real$/, namespace: 'undici-lazy-h2' }, () => ({
      path: join(dispatcherDir, 'client-h2.js'),
    }));
    b.onLoad({ filter: /.*/, namespace: 'undici-lazy-h2' }, () => ({
      contents: LAZY_H2,
      loader: 'js',
      resolveDir: dispatcherDir,
    }));
    b.onLoad({ filter: /.*/, namespace: 'undici-slim' }, () => ({
      contents: UNDICI_SLIM,
      loader: 'js',
      resolveDir: undiciDir,
    }));
  },
};

/**
 * pino loads worker_threads at start for two things the daemon does not use: transports
 * (thread-stream runs them in a worker) and `isMainThread`, which only decides whether an
 * asynchronous destination is flushed at exit — the daemon's destination is synchronous
 * (log.ts). worker_threads is ~0.4 MB of RSS (issue 5). So thread-stream is required on the
 * first transport only, and pino's tools read `isMainThread` as true: the bundle never runs pino
 * inside a worker.
 */
const LAZY_THREAD_STREAM = `'use strict'
let real
module.exports = function ThreadStream (opts) {
  real ??= require('thread-stream-real')
  return new real(opts)
}
`;

export const pinoNoWorker: Plugin = {
  name: 'pino-no-worker',
  setup(b) {
    const name = 'pino-no-worker';
    checkPinned(name, 'pino');
    const pinoLib = realpathSync(join(ROOT, 'node_modules', 'pino', 'lib'));
    expectSource(name, join(pinoLib, 'transport.js'), "require('thread-stream')");
    const hits = new Map([
      ['thread-stream → lazy-thread-stream', 0],
      ['lib/tools.js isMainThread', 0],
    ]);
    requireHits(b, name, hits);
    const hit = (k: string) => hits.set(k, (hits.get(k) ?? 0) + 1);
    b.onResolve({ filter: /^thread-stream$/ }, (a) => {
      if (a.resolveDir !== pinoLib) return undefined;
      hit('thread-stream → lazy-thread-stream');
      return { path: 'lazy-thread-stream', namespace: 'pino-lazy-thread-stream' };
    });
    b.onResolve({ filter: /^thread-stream-real$/, namespace: 'pino-lazy-thread-stream' }, () => ({
      path: require.resolve('thread-stream', { paths: [pinoLib] }),
    }));
    b.onLoad({ filter: /.*/, namespace: 'pino-lazy-thread-stream' }, () => ({
      contents: LAZY_THREAD_STREAM,
      loader: 'js',
      resolveDir: pinoLib,
    }));
    const tools = join(pinoLib, 'tools.js');
    b.onLoad({ filter: /[\\/]pino[\\/]lib[\\/]tools\.js$/ }, (a) => {
      if (a.path !== tools) return undefined;
      const source = readFileSync(tools, 'utf8');
      const from = "const { isMainThread } = require('worker_threads')";
      // Fail the build rather than ship a bundle that loads worker_threads after a pino update.
      if (!source.includes(from)) throw pluginBroke(name, `${tools} no longer has: ${from}`);
      hit('lib/tools.js isMainThread');
      return { contents: source.replace(from, 'const isMainThread = true'), loader: 'js' };
    });
  },
};

/** TIDINGS_OAUTH_CLIENT_ID at build time, checked: a typo would only show at a user's sign-in. */
function oauthClientId(): string {
  const id = (process.env.TIDINGS_OAUTH_CLIENT_ID ?? '').trim();
  if (id !== '' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new Error(`TIDINGS_OAUTH_CLIENT_ID must be an Entra application (client) id, a GUID; got "${id}"`);
  return id;
}

/**
 * A distributor's Google "Desktop app" client (docs/gmail.md) for Gmail IMAP: id and secret, the
 * secret being non-confidential by Google's own account (it ships in every copy of a desktop app).
 */
function googleClient(): { id: string; secret: string } {
  const id = (process.env.TIDINGS_GOOGLE_CLIENT_ID ?? '').trim();
  if (id !== '' && !/^[0-9A-Za-z-]+\.apps\.googleusercontent\.com$/.test(id))
    throw new Error(`TIDINGS_GOOGLE_CLIENT_ID must end in .apps.googleusercontent.com; got "${id}"`);
  return { id, secret: (process.env.TIDINGS_GOOGLE_CLIENT_SECRET ?? '').trim() };
}

/**
 * The shipped bundle's esbuild options, writing into `outdir`. daemon/test/cli/lazy-commands.test.ts
 * reads the metafile of this very build, so what it checks is what ships.
 */
export function daemonBuildOptions(outdir: string): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: ROOT,
    entryPoints: { tidings: 'daemon/src/cli/main.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20.11',
    external: [...EXTERNAL],
    plugins: [undiciSlim, pinoNoWorker],
    define: {
      // A distributor's Entra app (docs/microsoft-365.md): `account add exchange --oauth` then
      // needs no --client-id (daemon/src/cli/oauth-client.ts). Empty when the variable is unset.
      __TIDINGS_OAUTH_CLIENT_ID__: JSON.stringify(oauthClientId()),
      // daemon/src/oauth/google-client.ts; empty strings when the variables are unset.
      __TIDINGS_GOOGLE_CLIENT_ID__: JSON.stringify(googleClient().id),
      __TIDINGS_GOOGLE_CLIENT_SECRET__: JSON.stringify(googleClient().secret),
    },
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __tidingsCreateRequire } from 'node:module'; const require = __tidingsCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    // V8 keeps each module's source text for the process's life: ASCII keeps it one byte per
    // character (a single non-ASCII character makes the whole string two-byte), and without
    // indentation and comments it is about a third smaller. Identifiers keep their names, so stack
    // traces still name the functions.
    charset: 'ascii',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
  };
}

export async function buildDaemon(opts: { quiet?: boolean } = {}): Promise<string> {
  // Built beside dist/ and swapped in by two renames: `tidings` processes started meanwhile (a
  // test suite, the install test's `npm pack`) never find half a bundle. esbuild writes the files
  // before the plugins' end checks run, so a failed build is removed and dist/ stays as it was.
  const staging = `${OUT}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    ...daemonBuildOptions(staging),
    logLevel: opts.quiet ? 'warning' : 'info',
  }).catch((err: unknown) => {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  });
  const old = `${OUT}.old-${process.pid}`;
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(staging, OUT);
  rmSync(old, { recursive: true, force: true });
  const rel = staging.slice(ROOT.length + 1);
  return Object.keys(result.metafile.outputs)
    .map((f) => (f.startsWith(rel) ? `dist${f.slice(rel.length)}` : f))
    .join('\n');
}

if (import.meta.filename === process.argv[1]) {
  await buildDaemon();
}
