import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as z from 'zod';
import { closest } from '../did-you-mean';
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

/**
 * Turns zod issues into field paths and reasons people can act on. An unknown key leads, one
 * issue per key at its own path: a typo (`usernme`) is the cause, and the "required" complaint
 * about the key it was meant to be (`username`) is its echo, so that one is dropped when the
 * typo is near it (issue 16: the message led with `expected string, received undefined`).
 */
export function toIssues(error: z.ZodError): ConfigIssue[] {
  const unknown: ConfigIssue[] = [];
  const echoes = new Set<string>();
  const missing = error.issues.filter((i) => i.code === 'invalid_type' && i.input === undefined);
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const parent = formatPath(issue.path);
    const siblings = missing
      .filter((m) => m.path.length === issue.path.length + 1 && formatPath(m.path.slice(0, -1)) === parent)
      .map((m) => String(m.path.at(-1)));
    for (const key of issue.keys) {
      const meant = closest(key, siblings);
      if (meant !== undefined) echoes.add(formatPath([...issue.path, meant]));
      unknown.push({
        path: formatPath([...issue.path, key]),
        reason: `Unrecognized key "${key}"${meant !== undefined ? ` (did you mean "${meant}"?)` : ''}`,
      });
    }
  }
  const rest = error.issues
    .filter((i) => i.code !== 'unrecognized_keys')
    .map((issue) => ({ path: formatPath(issue.path), reason: issue.message }))
    .filter((i) => !echoes.has(i.path));
  return [...unknown, ...rest];
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

/**
 * Refuses a config file, or the directory holding it, that another user could write — as
 * OpenSSH refuses such an `~/.ssh/config` (its `safe_path`): the file names commands the
 * daemon runs (`secret.command`, exec hooks), so a 0666 config is a way for another local
 * user to run code as us (issue 13 §4). Owner must be us or root; no write bit for group or
 * others. The error names the `chmod` (or `chown`) that fixes it. POSIX only.
 */
export async function checkConfigPermissions(file: string, platform = process.platform): Promise<void> {
  const uid = process.getuid?.();
  if (platform === 'win32' || uid === undefined) return;
  for (const [path, what] of [
    [file, 'config file'],
    [dirname(file), 'config directory'],
  ] as const) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(path);
    } catch {
      continue; // absent: loadConfig reports the file itself
    }
    if (st.uid !== uid && st.uid !== 0) {
      throw new ConfigError(
        'CONFIG_ERR_PERMISSIONS',
        file,
        `the ${what} ${path} belongs to uid ${st.uid}, not to you (uid ${uid}) or root: another user controls what the daemon runs; fix: \`chown ${uid} '${path}'\` (or move the config)`,
      );
    }
    if ((st.mode & 0o022) !== 0) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      const who =
        (st.mode & 0o022) === 0o022 ? 'group and others' : (st.mode & 0o020) !== 0 ? 'group' : 'others';
      throw new ConfigError(
        'CONFIG_ERR_PERMISSIONS',
        file,
        `the ${what} ${path} is writable by ${who} (mode ${mode}): another user could make the daemon run their commands; fix: \`chmod go-w '${path}'\``,
      );
    }
  }
}

/**
 * Reads and validates the config file. Throws ConfigError (CONFIG_ERR_NOT_FOUND when absent,
 * CONFIG_ERR_PERMISSIONS when another user could write it).
 */
export async function loadConfig(file: string): Promise<Config> {
  await checkConfigPermissions(file);
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
