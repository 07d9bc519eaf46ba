/**
 * Each command's code is its own bundle chunk, loaded when the command runs (cli/registry.ts), so
 * `tidings daemon` does not hold account add's discovery and OAuth flows, doctor's checks or the
 * WBXML-to-XML converter (issue 5: 3 accounts idle under 60 MB). Bundled with scripts/build-daemon.ts's
 * own options, and read from esbuild's metafile: what a chunk imports statically is loaded with it.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { daemonBuildOptions } from '../../../scripts/build-daemon';
import { COMMANDS } from '../../src/cli/registry';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let meta: Metafile;

beforeAll(async () => {
  // The shipped bundle's own options: its chunks are what `tidings daemon` loads.
  const r = await build({
    ...daemonBuildOptions(join(ROOT, 'dist-test-unwritten')),
    write: false,
    logLevel: 'silent',
  });
  meta = r.metafile;
}, 60_000);

/** The source files loaded with `entries` (output files), following static imports only. */
function loadedWith(entries: string[]): Set<string> {
  const outputs = new Set<string>();
  const walk = (o: string) => {
    if (outputs.has(o)) return;
    outputs.add(o);
    for (const i of meta.outputs[o]!.imports)
      if (i.kind === 'import-statement' && meta.outputs[i.path]) walk(i.path);
  };
  for (const e of entries) walk(e);
  return new Set([...outputs].flatMap((o) => Object.keys(meta.outputs[o]!.inputs)));
}

function outputOf(entryPoint: string): string {
  const o = Object.keys(meta.outputs).find((k) => meta.outputs[k]!.entryPoint === entryPoint);
  if (!o) throw new Error(`no chunk of its own for ${entryPoint}`);
  return o;
}

const MAIN = 'daemon/src/cli/main.ts';

describe('commands load lazily', () => {
  it('the entry loads no command module: only what help, did-you-mean and the parser need', () => {
    const files = [...loadedWith([outputOf(MAIN)])];
    expect(files.filter((f) => f.startsWith('daemon/src/cli/commands/'))).toEqual([]);
    expect(files.filter((f) => f.includes('node_modules/'))).toEqual([]);
    expect(files.filter((f) => !f.startsWith('daemon/src/'))).toEqual([]);
  });

  it('every command module is a chunk of its own, reached by a dynamic import only', async () => {
    const modules = meta.inputs['daemon/src/cli/registry.ts']!.imports.filter((i) =>
      i.path.startsWith('daemon/src/cli/commands/'),
    );
    expect(modules.length).toBeGreaterThan(10);
    for (const m of modules) {
      expect(m.kind, `registry.ts imports ${m.path}`).toBe('dynamic-import');
      outputOf(m.path);
      for (const [file, info] of Object.entries(meta.inputs))
        for (const i of info.imports)
          if (i.path === m.path) expect(i.kind, `${file} imports ${m.path}`).toBe('dynamic-import');
    }
    // And each load() gives the command's run.
    for (const c of COMMANDS) expect(typeof (await c.load()), c.name).toBe('function');
  });

  it('tidings daemon loads neither the other commands nor the account checks', () => {
    const files = [...loadedWith([outputOf(MAIN), outputOf('daemon/src/cli/commands/daemon.ts')])];
    const other = files.filter(
      (f) => f.startsWith('daemon/src/cli/commands/') && f !== 'daemon/src/cli/commands/daemon.ts',
    );
    expect(other).toEqual([]);
    // diagnose/: the checks behind `account test`, doctor and the `accounts.test` call.
    expect(files.filter((f) => f.startsWith('daemon/src/diagnose/'))).toEqual([]);
    // The OAuth2 sign-in flows (account add --oauth, account login): the daemon only refreshes.
    // Autodiscover's XML parser: loaded on the first search (an Exchange account without url).
    expect(
      files.filter((f) => /oauth\/(interactive|loopback|device-code|open-browser)\.ts$/.test(f)),
    ).toEqual([]);
    expect(files.filter((f) => f.includes('fast-xml-parser') || f.includes('eas/autodiscover/'))).toEqual([]);
    // The codec's XML bridge and CLI: eas/ imports @tidings/wbxml/core, `tidings wbxml` the rest.
    expect(files.filter((f) => f.startsWith('wbxml/src/'))).toContain('wbxml/src/decoder.ts');
    expect(files.filter((f) => /^wbxml\/src\/(xml|cli|index)\.ts$/.test(f))).toEqual([]);
    // Exec hooks (and their spool) and webhooks: loaded when the config names one (sinks/configured.ts).
    expect(files).toContain('daemon/src/sinks/configured.ts');
    expect(files.filter((f) => /sinks\/(exec-hook|hook-spool|webhook)\.ts$/.test(f))).toEqual([]);
  });

  it('the hook and webhook sinks are chunks reached by a dynamic import only', () => {
    for (const m of ['daemon/src/sinks/exec-hook.ts', 'daemon/src/sinks/webhook.ts']) {
      outputOf(m);
      for (const [file, info] of Object.entries(meta.inputs))
        for (const i of info.imports)
          if (i.path === m) expect(i.kind, `${file} imports ${m}`).toBe('dynamic-import');
    }
  });
});
