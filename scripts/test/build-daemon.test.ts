/**
 * The bundle's plugins reach into undici's files and pino's source (scripts/build-daemon.ts).
 * When a dependency update moves what they patch, the build must stop with the plugin's name and
 * what it no longer finds, not ship a bundle that silently loads all of undici or worker_threads.
 * (scripts/test/install.test.ts builds the real bundle through `npm pack`.)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPinned, EXTERNAL, expectSource, pinoNoWorker, undiciSlim } from '../build-daemon';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'tidings-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Bundles `source` (from the daemon workspace, so undici and pino resolve) with both plugins. */
function bundle(source: string) {
  return build({
    absWorkingDir: ROOT,
    stdin: { contents: source, resolveDir: join(ROOT, 'daemon', 'src'), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    plugins: [undiciSlim, pinoNoWorker],
    logLevel: 'silent',
  });
}

describe('the plugins applied', () => {
  it('undici slimmed, its HTTP/2 half and pino transport lazy, isMainThread constant', async () => {
    const r = await bundle(
      "import { Agent } from 'undici'; import pino from 'pino'; console.log(Agent, pino);",
    );
    const text = r.outputFiles[0]!.text;
    // esbuild names each module in a comment: the plugins' own modules are there…
    expect(text).toContain('// undici-slim:undici-slim');
    expect(text).toContain('// undici-lazy-h2:lazy-h2');
    expect(text).toContain('// pino-lazy-thread-stream:lazy-thread-stream');
    expect(text).toContain('var isMainThread = true;');
    // …and undici's own index, which requires fetch, WebSocket and the rest, is not.
    expect(text).not.toContain('// node_modules/undici/index.js');
    expect(text).not.toContain('// node_modules/undici/lib/web/fetch/index.js');
  });

  it('a hook that never ran stops the build, naming the plugin and the hook', async () => {
    // No pino in this entry: pino-no-worker's hooks cannot run, as after a renamed import.
    await expect(bundle("import { Agent } from 'undici'; console.log(Agent);")).rejects.toThrow(
      /pino-no-worker: never applied: thread-stream → lazy-thread-stream/,
    );
  });
});

describe('the guards', () => {
  function tree(declared: string, installed: string): string {
    const root = mkdtempSync(join(tmp, 'root-'));
    mkdirSync(join(root, 'daemon'));
    mkdirSync(join(root, 'node_modules', 'undici'), { recursive: true });
    writeFileSync(
      join(root, 'daemon', 'package.json'),
      JSON.stringify({ dependencies: { undici: declared } }),
    );
    writeFileSync(
      join(root, 'node_modules', 'undici', 'package.json'),
      JSON.stringify({ version: installed }),
    );
    return root;
  }

  it('the installed version must be the exact pin', () => {
    expect(checkPinned('undici-slim', 'undici', tree('7.30.2', '7.30.2'))).toBe('7.30.2');
    expect(() => checkPinned('undici-slim', 'undici', tree('7.30.2', '7.31.0'))).toThrow(
      'undici-slim: node_modules has undici 7.31.0, daemon/package.json pins 7.30.2',
    );
    expect(() => checkPinned('undici-slim', 'undici', tree('^7.30.2', '7.30.2'))).toThrow(
      'must pin undici to an exact version (has ^7.30.2)',
    );
  });

  it('the pins in daemon/package.json are what node_modules holds', () => {
    expect(checkPinned('undici-slim', 'undici')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(checkPinned('pino-no-worker', 'pino')).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a patched line that moved names the file and the line', () => {
    const file = join(tmp, 'tools.js');
    writeFileSync(file, "const { isMainThread } = require('node:worker_threads')\n");
    expect(() => expectSource('pino-no-worker', file, "require('worker_threads')")).toThrow(
      `pino-no-worker: ${file} no longer has: require('worker_threads')`,
    );
    expect(() => expectSource('x', join(tmp, 'gone.js'), 'a')).toThrow('gone.js is gone');
  });
});

describe('the installed package', () => {
  it('depends on exactly what the bundle leaves external, at the ranges the daemon workspace uses', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const daemon = JSON.parse(readFileSync(join(ROOT, 'daemon', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(root.dependencies).sort()).toEqual([...EXTERNAL].sort());
    for (const name of EXTERNAL) expect(root.dependencies[name]).toBe(daemon.dependencies[name]);
  });
});
