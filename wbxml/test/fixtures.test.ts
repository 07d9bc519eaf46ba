import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, fixtureDocuments } from '../scripts/gen-fixtures';
import { encode, toXml } from '../src/index';

describe('fixtures/wbxml', () => {
  it.each(Object.entries(fixtureDocuments()))(
    '%s is what the generator and the codec produce today',
    (name, doc) => {
      // Regenerate with `npx tsx wbxml/scripts/gen-fixtures.ts` when a sample document changes on purpose.
      const wbxml = readFileSync(resolve(FIXTURE_DIR, `${name}.wbxml`));
      expect(Buffer.compare(encode(doc), wbxml)).toBe(0);
      expect(toXml(doc, { pretty: true })).toBe(readFileSync(resolve(FIXTURE_DIR, `${name}.xml`), 'utf8'));
    },
  );
});
