import './v8-flags';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors';
import { closest } from '../did-you-mean';
import { IpcError } from '../ipc/errors';
import { isJournalStream, journalText } from '../log-journal';
import { VERSION } from '../version';
import { type CliHooks, type CommandContext, GLOBAL_FLAGS } from './command';
import { CliError, EXIT } from './errors';
import { Output, type Streams } from './output';
import { parseFlags } from './parse';
import { COMMANDS, findCommand } from './registry';
import { commandUsage, mainUsage } from './usage';

/** What runCli needs from the process; tests pass collectors. */
export interface CliIo extends Streams {
  env: NodeJS.ProcessEnv;
  stdin(): Promise<Uint8Array>;
  /** Present when stdin and stderr are terminals: commands may ask questions. */
  ask?: CommandContext['ask'];
  interrupted(): Promise<void>;
  hooks?: CliHooks;
}

/**
 * Error codes of typed errors from any room: `{code, message}` people can act on. An error the
 * daemon answered keeps its own room's code (the IPC server sends it as `data.code`), not the
 * transport's IPC_ERR_REMOTE.
 */
function describe(err: unknown): { code: string; message: string } | undefined {
  if (err instanceof IpcError && err.code === 'IPC_ERR_REMOTE') {
    const remote = (err.data as { code?: unknown } | null | undefined)?.code;
    if (typeof remote === 'string' && ROOM_CODE.test(remote)) return { code: remote, message: err.message };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ROOM_CODE.test(code)) return { code, message: (err as Error).message };
  return undefined;
}
const ROOM_CODE = /^[A-Z]+_ERR_[A-Z0-9_]+$/;

const VERSION_FLAGS = new Set(['--version', '-v', '-V']);
const HELP_FLAGS = new Set(['--help', '-h']);

/**
 * Splits `tidings [global flags] <words> [rest]`: global flags may come before the command
 * (`tidings --log-level trace doctor`); they are handed on after the command words, where the
 * command's parser reads them. `--version` and `--help` before any word are kept apart.
 */
export function splitArgv(argv: readonly string[]): {
  words: string[];
  rest: string[];
  leading: string[];
  version: boolean;
  help: boolean;
} {
  const leading: string[] = [];
  let version = false;
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') break;
    if (VERSION_FLAGS.has(a)) {
      version = true;
      continue;
    }
    if (HELP_FLAGS.has(a)) {
      help = true;
      continue;
    }
    const name = a.slice(2).split('=', 1)[0]!;
    const spec = GLOBAL_FLAGS.find((f) => f.name === name);
    leading.push(a);
    // A global flag's value follows it unless given with `=`; an unknown flag is left for the
    // command's parser to refuse with its usage.
    if (spec && spec.type !== 'boolean' && !a.includes('=') && i + 1 < argv.length) leading.push(argv[++i]!);
  }
  const words: string[] = [];
  let j = i;
  for (; j < argv.length && !argv[j]!.startsWith('-'); j++) words.push(argv[j]!);
  return { words, rest: argv.slice(i), leading, version, help };
}

/** The commands whose first word is `group` (`tidings account` lists `account add` …). */
function groupUsage(group: string): string | undefined {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return members.length ? mainUsage(members, `tidings ${group} <sub-command> [flags]`) : undefined;
}

/** Runs one `tidings …` invocation; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(io, json);
  const { words, rest: fromWords, leading, version, help } = splitArgv(argv);
  if (words[0] === 'help') {
    // `tidings help`, `tidings help account add`.
    const topic = words.slice(1);
    const found = topic.length ? findCommand(topic) : undefined;
    if (topic.length === 0) out.write(mainUsage(COMMANDS));
    else if (found) out.write(commandUsage(found.command));
    else if (groupUsage(topic[0]!) && topic.length === 1) out.write(groupUsage(topic[0]!)!);
    else return unknownCommand(out, topic);
    return EXIT.OK;
  }
  if (words.length === 0) {
    if (version) {
      out.result({ version: VERSION }, () => VERSION);
      return EXIT.OK;
    }
    const unknown = leading.find(
      (a) => a.startsWith('--') && !GLOBAL_FLAGS.some((f) => f.name === a.slice(2).split('=', 1)[0]),
    );
    if (unknown !== undefined) {
      out.error('CLI_ERR_UNKNOWN_FLAG', `unknown flag ${unknown.split('=', 1)[0]}; see tidings help`);
      return EXIT.USAGE;
    }
    if (help || argv.length === 0 || leading.length === argv.length) {
      out.write(mainUsage(COMMANDS));
      return help ? EXIT.OK : EXIT.USAGE;
    }
  }
  const found = findCommand(words);
  if (!found) {
    const group = words.length === 1 ? groupUsage(words[0]!) : undefined;
    if (group) {
      // `tidings account`: the group's sub-commands, as git does for `git remote` with no verb.
      out.write(group);
      return help ? EXIT.OK : EXIT.USAGE;
    }
    return unknownCommand(out, words);
  }
  const { command } = found;
  const rest = [...fromWords.slice(command.name.split(' ').length), ...leading];
  try {
    const { flags, args } = command.passthrough
      ? { flags: {}, args: [...rest] }
      : parseFlags(rest, command.flags, command.name);
    if (flags.help || help) {
      out.write(commandUsage(command));
      return EXIT.OK;
    }
    const max = command.maxArgs ?? (command.synopsis ? command.synopsis.split(' ').length : 0);
    if (!command.passthrough && args.length > max)
      throw new CliError(
        'CLI_ERR_EXTRA_ARGS',
        `${command.name} takes ${max === 0 ? 'no arguments' : `at most ${max} argument${max === 1 ? '' : 's'}`}; ` +
          `unexpected ${args
            .slice(max)
            .map((a) => `"${a}"`)
            .join(' ')}`,
        { command: command.name },
      );
    const run = await command.load();
    return await run({
      args,
      flags,
      out,
      env: io.env,
      ...(io.ask ? { ask: io.ask } : {}),
      interrupted: io.interrupted,
      stdin: io.stdin,
      ...(io.hooks ? { hooks: io.hooks } : {}),
    });
  } catch (err) {
    if (err instanceof CliError) {
      out.error(err.code, err.message);
      if (err.exitCode === EXIT.USAGE && !json) io.stderr(`\n${commandUsage(command)}`);
      return err.exitCode;
    }
    if (err instanceof IpcError && err.code === 'IPC_ERR_NOT_RUNNING') {
      out.error(err.code, err.message);
      return EXIT.NOT_RUNNING;
    }
    if (err instanceof ConfigError) {
      out.error(err.code, err.message, err.issues.length ? { issues: err.issues } : {});
      return EXIT.CONFIG;
    }
    const known = describe(err);
    if (known) {
      out.error(known.code, known.message);
      return known.code.startsWith('CONFIG_ERR_') ? EXIT.CONFIG : EXIT.FAILURE;
    }
    out.error('CLI_ERR_FAILED', `unexpected failure: ${(err as Error).message ?? String(err)}`);
    return EXIT.FAILURE;
  }
}

/** `unknown command "stauts"; did you mean "status"?` — exit 2. */
function unknownCommand(out: Output, words: readonly string[]): number {
  const typed = words.join(' ');
  // Compare as many words as each command has: `account ad` against `account add`.
  const names = new Set<string>();
  for (const c of COMMANDS) {
    names.add(c.name);
    names.add(c.name.split(' ')[0]!);
  }
  const candidates = [...names].filter((n) => n.split(' ').length <= Math.max(words.length, 1));
  const guess =
    closest(
      words.slice(0, 2).join(' '),
      candidates.filter((n) => n.includes(' ')),
    ) ??
    closest(
      words[0] ?? '',
      candidates.filter((n) => !n.includes(' ')),
    );
  out.error(
    'CLI_ERR_UNKNOWN_COMMAND',
    `unknown command "${typed}"${guess ? `; did you mean "${guess}"?` : '; `tidings help` lists them'}`,
  );
  return EXIT.USAGE;
}

/**
 * Asks on the terminal; with `secret`, typed characters are not echoed. readline is imported
 * here, not at the top: the daemon, which never asks, then does not load it (issue 5, RSS).
 */
async function terminalAsk(question: string, opts: { secret?: boolean } = {}): Promise<string> {
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (opts.secret) {
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        // Echo the prompt, hide what is typed.
        write.call(rl, s.startsWith(question) ? question : '');
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (opts.secret) process.stderr.write('\n');
      resolve(answer.trim());
    });
  });
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The real process I/O. */
export function processIo(): CliIo {
  let interrupted: Promise<void> | undefined;
  // Under systemd a daemon that cannot start (exit 4: the config) says why at error priority, as
  // the logger's lines carry theirs (log-journal.ts): `journalctl -p err` shows it.
  const journal = isJournalStream(process.env);
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: journal ? (t) => process.stderr.write(journalText(t)) : (t) => process.stderr.write(t),
    env: process.env,
    stdin: readStdin,
    ...(process.stdin.isTTY && process.stderr.isTTY ? { ask: terminalAsk } : {}),
    interrupted: () =>
      (interrupted ??= new Promise((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Started by the tray through Electron's own Node: the variable was for that binary only, and
  // what the daemon spawns (hooks, password commands) must not inherit it.
  delete process.env.ELECTRON_RUN_AS_NODE;
  runCli(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`tidings: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.FAILURE;
    },
  );
}
