/**
 * Writes the sample documents of sample-documents.ts to fixtures/wbxml/ as WBXML and as XML,
 * for the fuzz corpus, the CLI's bundled sample and people reading them.
 *
 * Usage: npx tsx wbxml/scripts/gen-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '../src/encoder';
import type { WbxmlElement } from '../src/tree';
import { toXml } from '../src/xml';
import { calendarSync, everydayDocuments, folderSyncResponse, mailSync } from './sample-documents';

/** Every fixture document by file stem. */
export function fixtureDocuments(): Record<string, WbxmlElement> {
  return {
    'foldersync-response': folderSyncResponse(),
    'calendar-sync': calendarSync(),
    'mail-sync': mailSync(40_000),
    ...everydayDocuments(),
  };
}

export const FIXTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/wbxml');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const [name, doc] of Object.entries(fixtureDocuments())) {
    const bytes = encode(doc);
    writeFileSync(resolve(FIXTURE_DIR, `${name}.wbxml`), bytes);
    writeFileSync(resolve(FIXTURE_DIR, `${name}.xml`), toXml(doc, { pretty: true }));
    console.log(`${name}: ${bytes.length} bytes`);
  }
}
