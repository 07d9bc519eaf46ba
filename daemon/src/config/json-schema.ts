import * as z from 'zod';
import { configSchema } from './schema';

/** Where the published schema lives, relative to the repository root. */
export const SCHEMA_FILE = 'build/config.schema.json';

/**
 * The config file's JSON Schema (draft 2020-12), from the zod schema, so the published
 * schema cannot drift from what the daemon accepts. The input side is what people write:
 * fields with defaults are optional. Refinements (unique ids, time zones) are checked by the
 * daemon only; JSON Schema cannot express them.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema(), { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: 'Tidings daemon configuration',
    description:
      'config.json of the Tidings daemon (docs/daemon.md). Secrets never go here: use the keyring, a command or an environment variable.',
  };
}

/** The file's text: stable key order from zod, two-space indent, final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
