import { readFileSync } from 'node:fs';

/**
 * The daemon's version, from its package.json (sent in hello, shown by `--version`): next to
 * `src/` in the sources, next to `dist/` for the bundle's entry, and one level further up when
 * the bundle puts this module in a chunk (`dist/chunks/`), as it does once a lazily loaded
 * module shares it with the entry.
 */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not at this level
    }
  }
  throw new Error(`no package.json above ${import.meta.url}`);
}

export const VERSION: string = readVersion();
