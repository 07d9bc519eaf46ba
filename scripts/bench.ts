/**
 * `npm run bench`: runs every `<workspace>/bench/*.bench.ts` in its own process, one after
 * another (so they do not compete for the 2 cores), and prints a summary of exit codes.
 * Each benchmark prints its own figures and its ratios against the peer it names.
 * `npm run bench -- wbxml` runs only the files whose path contains "wbxml".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const filter = process.argv[2];
const files: string[] = [];
for (const ws of ['wbxml', 'daemon', 'fixtures', 'tray']) {
  const dir = join(root, ws, 'bench');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.bench.ts') && (!filter || join(ws, f).includes(filter)))
      files.push(join(ws, 'bench', f));
  }
}
if (files.length === 0) {
  console.error(`bench: no benchmark matches ${filter ?? '*'}`);
  process.exit(1);
}
const results: { file: string; status: number | null }[] = [];
for (const file of files) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], {
    cwd: root,
    stdio: 'inherit',
  });
  results.push({ file, status: r.status });
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${r.file}`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
