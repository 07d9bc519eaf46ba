/**
 * `npm run gen:schema`: writes build/config.schema.json from the zod schema. A test fails when
 * the committed file differs, so run this after changing config/schema.ts, account.ts or rules.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText, SCHEMA_FILE } from './json-schema';

const target = join(import.meta.dirname, '..', '..', '..', SCHEMA_FILE);
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${target}`);
