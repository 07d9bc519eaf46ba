import { type Command, type FlagSpec, GLOBAL_FLAGS } from './command';

function flagLine(f: FlagSpec): string {
  const left = `--${f.name}${f.placeholder ? ` <${f.placeholder}>` : ''}`;
  return `  ${left.padEnd(26)} ${f.description}`;
}

/**
 * `tidings --help`: every command with its description, generated from the modules; with a
 * group's commands and its own usage line, `tidings account`.
 */
export function mainUsage(commands: readonly Command[], usage = 'tidings <command> [flags]'): string {
  const width = Math.max(...commands.map((c) => c.name.length + (c.synopsis ? c.synopsis.length + 1 : 0)));
  const lines = [
    `usage: ${usage}`,
    '',
    'commands:',
    ...commands.map(
      (c) => `  ${`${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}`.padEnd(width)}  ${c.description}`,
    ),
    '',
    'global flags:',
    ...GLOBAL_FLAGS.map(flagLine),
    `  ${'-v, --version'.padEnd(26)} print the version`,
    '',
    "`tidings help <command>` or `tidings <command> --help` shows a command's flags. Global flags go",
    'before or after the command. Exit codes: 0 ok, 1 failure, 2 usage,',
    '3 daemon not running, 4 config error, 5 a check failed (docs/daemon.md).',
  ];
  return `${lines.join('\n')}\n`;
}

/** `tidings <command> --help`. */
export function commandUsage(c: Command): string {
  const lines = [`usage: tidings ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''} [flags]`, '', c.description];
  if (c.details) lines.push('', c.details);
  if (c.flags.length) lines.push('', 'flags:', ...c.flags.map(flagLine));
  lines.push('', 'global flags:', ...GLOBAL_FLAGS.map(flagLine));
  return `${lines.join('\n')}\n`;
}
