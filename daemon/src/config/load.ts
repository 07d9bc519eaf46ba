import { readFile } from 'node:fs/promises';
import type * as z from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { type Config, configSchema } from './schema';

/** `accounts[1].auth.secret` from zod's `['accounts', 1, 'auth', 'secret']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Turns zod issues into field paths and reasons people can act on. */
export function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message }));
}

/** Line and column of a JSON.parse failure, when V8 tells the position. */
function jsonPosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

/**
 * Validates config text. Pure: used by the loader, by reload (a broken file keeps the running
 * config) and by tests.
 */
export function parseConfig(text: string, file: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    const msg = (cause as Error).message;
    throw new ConfigError('CONFIG_ERR_PARSE', file, `not valid JSON${jsonPosition(text, msg)}: ${msg}`, {
      cause,
    });
  }
  const result = configSchema().safeParse(raw);
  if (!result.success) {
    const issues = toIssues(result.error);
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new ConfigError('CONFIG_ERR_INVALID', file, `${first.path}: ${first.reason}${more}`, {
      issues,
      cause: result.error,
    });
  }
  return result.data;
}

/** Reads and validates the config file. Throws ConfigError (CONFIG_ERR_NOT_FOUND when absent). */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('CONFIG_ERR_NOT_FOUND', file, 'no config file', { cause });
    throw new ConfigError('CONFIG_ERR_READ', file, `cannot read (${code ?? 'error'})`, { cause });
  }
  return parseConfig(text, file);
}
