import { CliError } from './errors';
import { type FlagSpec, type FlagValues, GLOBAL_FLAGS } from './command';

/**
 * Parses flags against a command's declared ones plus the globals: `--name value`,
 * `--name=value`, `--bool`, `--no-bool`, `--` ends flags. Pure; unknown flags are a usage
 * error with a code, never silently ignored.
 */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  command: string,
): { flags: FlagValues; args: string[] } {
  const all = new Map<string, FlagSpec>([...GLOBAL_FLAGS, ...specs].map((s) => [s.name, s]));
  const flags: FlagValues = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      flags.help = true;
      continue;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a !== '-')
        throw new CliError('CLI_ERR_UNKNOWN_FLAG', `unknown flag ${a}`, { command });
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    let negated = false;
    if (!all.has(name) && name.startsWith('no-') && all.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const spec = all.get(name);
    if (!spec) throw new CliError('CLI_ERR_UNKNOWN_FLAG', `unknown flag --${name}`, { command });
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new CliError('CLI_ERR_BAD_VALUE', `--${name} takes no value`, { command });
      flags[name] = !negated;
      continue;
    }
    const value = eq !== -1 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq === -1 && value.startsWith('--')))
      throw new CliError('CLI_ERR_BAD_VALUE', `--${name} needs a value`, { command });
    if (spec.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n))
        throw new CliError('CLI_ERR_BAD_VALUE', `--${name} must be a number, got "${value}"`, { command });
      flags[name] = n;
    } else flags[name] = value;
  }
  return { flags, args };
}
