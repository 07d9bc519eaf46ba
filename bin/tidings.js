#!/usr/bin/env node
// The `tidings` command. Runs the esbuild bundle `dist/tidings.mjs` (scripts/build-daemon.ts):
// plain node, no tsx loader thread, ~40 MB less RSS, `--version` in ~0.1 s.
// - Installed from the packed tarball (`npm install -g tidings-<v>.tgz`): the bundle is all there
//   is (prepack built it, "files" ships it); the TypeScript sources and tsx are not installed.
// - In a checkout: the bundle when it exists and is not older than the sources (`npm run build`),
//   else the TypeScript sources through tsx's loader API, so a checkout needs no build step and a
//   stale bundle never runs edited code. TIDINGS_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/tidings.mjs', import.meta.url);
const sources = new URL('../daemon/src/cli/main.ts', import.meta.url);

/** True when a .ts file under the workspaces' src/ is newer than the bundle (~5 ms of stats). */
function staleBundle(builtMs) {
  for (const ws of ['daemon', 'wbxml', 'fixtures']) {
    const dir = fileURLToPath(new URL(`../${ws}/src`, import.meta.url));
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && statSync(`${e.parentPath}/${e.name}`).mtimeMs > builtMs)
        return true;
    }
  }
  return false;
}

const checkout = existsSync(sources);
const haveBundle = existsSync(bundle);
let cli;
if (!checkout) {
  if (!haveBundle) {
    process.stderr.write(
      `tidings: ${fileURLToPath(bundle)} is missing: this package was packed without its bundle (npm pack runs \`npm run build\` first)\n`,
    );
    process.exit(1);
  }
  cli = await import(bundle.href);
} else if (process.env.TIDINGS_FROM_SOURCE !== '1' && haveBundle && !staleBundle(statSync(bundle).mtimeMs)) {
  cli = await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(sources.href);
}
// `tidings watch --json | head -1`: the reader has gone, which ends the output, not the program
// with a stack trace. The daemon keeps Node's default: its stdout is a journal or a log file.
if (process.argv[2] !== 'daemon') {
  process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}
process.exitCode = await cli.runCli(process.argv.slice(2), cli.processIo());
