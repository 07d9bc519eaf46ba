import './v8-flags';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors';
import { IpcError } from '../ipc/errors';
import { VERSION } from '../version';
import type { CliHooks, CommandContext } from './command';
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

/** Error codes of typed errors from any room: `{code, message}` people can act on. */
function describe(err: unknown): { code: string; message: string } | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z]+_ERR_[A-Z0-9_]+$/.test(code))
    return { code, message: (err as Error).message };
  return undefined;
}

/** Runs one `tidings …` invocation; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(io, json);
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  if (words.length === 0) {
    if (argv.includes('--version')) {
      out.result({ version: VERSION }, () => VERSION);
      return EXIT.OK;
    }
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      out.write(mainUsage(COMMANDS));
      return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
  }
  const found = findCommand(words);
  if (!found) {
    out.error('CLI_ERR_UNKNOWN_COMMAND', `unknown command "${words.join(' ')}"; see tidings --help`);
    return EXIT.USAGE;
  }
  const { command } = found;
  const rest = argv.slice(command.name.split(' ').length);
  try {
    const { flags, args } = command.passthrough
      ? { flags: {}, args: [...rest] }
      : parseFlags(rest, command.flags, command.name);
    if (flags.help) {
      out.write(commandUsage(command));
      return EXIT.OK;
    }
    return await command.run({
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
      return EXIT.FAILURE;
    }
    out.error('CLI_ERR_FAILED', `unexpected failure: ${(err as Error).message ?? String(err)}`);
    return EXIT.FAILURE;
  }
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
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
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
