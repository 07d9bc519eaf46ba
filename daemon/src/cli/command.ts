import type { KeyringBackend } from '../secrets';
import type { Output } from './output';

/** A declared flag; the parser and the usage text both read it. */
export interface FlagSpec {
  name: string;
  type: 'boolean' | 'string' | 'number';
  description: string;
  /** Shown in usage: `--minutes <n>`. */
  placeholder?: string;
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'config',
    type: 'string',
    placeholder: 'file',
    description: 'config file (default: TIDINGS_CONFIG, then the platform config dir)',
  },
  {
    name: 'socket',
    type: 'string',
    placeholder: 'path',
    description: 'daemon socket (default: config ipc.path, then $XDG_RUNTIME_DIR/tidings/tidings.sock)',
  },
  {
    name: 'log-level',
    type: 'string',
    placeholder: 'level',
    description: 'fatal|error|warn|info|debug|trace|silent',
  },
  { name: 'json', type: 'boolean', description: 'print machine-readable JSON' },
  { name: 'help', type: 'boolean', description: 'show help' },
];

export type FlagValues = Record<string, string | number | boolean | undefined>;

/** What a command gets from main. */
export interface CommandContext {
  /** Positional arguments after the command words (every argument for passthrough commands). */
  args: string[];
  flags: FlagValues;
  out: Output;
  env: NodeJS.ProcessEnv;
  /** Interactive prompts (account add) when stdin is a terminal; undefined otherwise. */
  ask?: (question: string, opts?: { secret?: boolean }) => Promise<string>;
  /** Resolves at the first Ctrl-C / SIGTERM (watch); installs the handler when called. */
  interrupted(): Promise<void>;
  stdin: () => Promise<Uint8Array>;
  /** Test hooks for what touches the person's machine: the OS keyring and the OAuth2 sign-in. */
  hooks?: CliHooks;
}

/** Replaceable edges (tests): the keyring backend, the browser, and device-code poll waits. */
export interface CliHooks {
  keyring?: KeyringBackend;
  openBrowser?: (url: string) => Promise<void>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What a command does: resolves to the exit code. */
export type CommandRun = (ctx: CommandContext) => Promise<number>;

/**
 * One CLI command, as npm's base-cmd: a name (one or two words), a one-line description, its
 * flags and positional synopsis; main generates usage from these and rejects unknown flags. The
 * code that runs it is loaded on demand (`load`, registry.ts), so one command never loads
 * another's modules.
 */
export interface Command {
  name: string;
  description: string;
  /** Positional synopsis, e.g. `exchange|caldav|carddav`. */
  synopsis?: string;
  flags: readonly FlagSpec[];
  /**
   * Most positional arguments it takes; more are a usage error. Default: the synopsis's word
   * count (`<id>` → 1), none without a synopsis.
   */
  maxArgs?: number;
  /** Longer help shown by `--help`. */
  details?: string;
  /** Hands every argument after the command words to `run` unparsed (it has its own parser). */
  passthrough?: boolean;
  /** Loads the command's module (a literal dynamic import(): its own bundle chunk) and gives its run. */
  load(): Promise<CommandRun>;
}
