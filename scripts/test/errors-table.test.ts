import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { collectErrors, renderErrors } from '../gen-errors';

const root = join(import.meta.dirname, '..', '..');

test('every error code in the sources is described in a room table', () => {
  const { rows, missing } = collectErrors();
  expect(rows.length).toBeGreaterThan(100);
  expect(missing).toEqual([]);
});

test('docs/ERRORS.md is up to date (npx tsx scripts/gen-errors.ts)', () => {
  const committed = readFileSync(join(root, 'docs/ERRORS.md'), 'utf8');
  expect(committed).toBe(renderErrors(collectErrors().rows));
});
