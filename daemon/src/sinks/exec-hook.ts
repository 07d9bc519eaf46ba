import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ExecHookConfig } from '../config/rules';
import type { Sink, SinkLedger } from '../hub/types';
import type { LedgerEntry } from '../store/types';
import { type ChangeSignal, signalSize } from '../signal';
import { emit } from '../channels';
import { sinkChannels } from './channels';
import { SinkError } from './errors';
import { type FormatOptions, formatSignal } from './format';
import {
  alive,
  findWrapper,
  prepareRun,
  readStatus,
  removeRun,
  type SpoolFiles,
  spoolDirFor,
  spoolFiles,
  stderrTail,
  WRAPPER,
} from './hook-spool';

/** Options for {@link createExecHook}. */
export interface ExecHookOptions {
  config: ExecHookConfig;
  log: Logger;
  /** Between SIGTERM and SIGKILL after a timeout, ms. Default 2 000. */
  killGraceMs?: number;
  /** The daemon's environment to pick the passed-through variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  format?: FormatOptions;
}

/**
 * Variables a hook inherits from the daemon. Not the whole environment: secrets can reach the
 * daemon as environment variables (`secret: { env }`), and a hook has no business seeing them.
 */
const PASS_THROUGH = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'DBUS_SESSION_BUS_ADDRESS',
  'SystemRoot',
];

/** Bytes of a hook's stderr kept for the log line. */
const STDERR_TAIL = 2048;

/**
 * Largest value of one `TIDINGS_*` variable, bytes (issue 13 §7: a 1 MB mail subject made
 * every spawn fail with E2BIG — Linux caps one argument or variable at 128 KiB and the whole
 * of argv + environ at a quarter of the stack limit — so any outside sender could silence the
 * hooks). The whole signal still reaches the hook on stdin as JSON.
 */
export const MAX_ENV_VALUE_BYTES = 4096;

/**
 * A value fit for the environment: at most `max` UTF-8 bytes, cut at a character boundary and
 * ended with "…" when cut; NUL (which spawn() refuses in any variable) becomes U+FFFD.
 */
export function boundEnvValue(value: string, max: number = MAX_ENV_VALUE_BYTES): string {
  const clean = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
  // Cheap exit: a UTF-16 string of n units is at most 3n UTF-8 bytes.
  if (clean.length * 3 <= max || Buffer.byteLength(clean) <= max) return clean;
  const ellipsis = '…'; // 3 bytes
  const bytes = Buffer.from(clean.slice(0, max));
  let end = max - Buffer.byteLength(ellipsis);
  // Back up to the first byte of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + ellipsis;
}

/** The environment a hook sees for one signal. */
export function hookEnv(
  signal: ChangeSignal,
  hook: ExecHookConfig,
  base: NodeJS.ProcessEnv,
  format?: FormatOptions,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of PASS_THROUGH) if (base[k] !== undefined) env[k] = base[k];
  for (const k of Object.keys(base)) if (k.startsWith('LC_')) env[k] = base[k];
  const { title, body } = formatSignal(signal, format);
  // Every value that comes from a server (names, ids, titles) is bounded; counts are short.
  const b = boundEnvValue;
  return {
    ...env,
    ...hook.env,
    TIDINGS_HOOK: hook.name,
    TIDINGS_SIGNAL_ID: b(signal.id),
    TIDINGS_ACCOUNT: b(signal.accountId),
    TIDINGS_SOURCE: signal.source,
    TIDINGS_COLLECTION: signal.collection,
    TIDINGS_FOLDER: b(signal.folder.name),
    TIDINGS_FOLDER_ID: b(signal.folder.id),
    TIDINGS_ADDED: String(signal.added.length),
    TIDINGS_CHANGED: String(signal.changed.length),
    TIDINGS_REMOVED: String(signal.removed.length),
    TIDINGS_COUNT: String(signalSize(signal)),
    TIDINGS_TITLE: b(title),
    TIDINGS_BODY: b(body),
    TIDINGS_OBSERVED_AT: b(signal.observedAt),
  };
}

/**
 * Runs a command per signal, as goimapnotify's onNewMail does: argv without a shell unless
 * `shell: true`, the signal in `TIDINGS_*` variables and as one line of JSON on stdin, killed
 * after `timeoutSeconds` (the whole process group, so a shell's children go too), at most
 * `maxConcurrent` at once — beyond that the sink reports busy and the hub coalesces per folder.
 * Exit codes and stderr tails are logged; nothing a hook does can crash the daemon.
 */
export function createExecHook(opts: ExecHookOptions): Sink {
  const { config, log } = opts;
  const grace = opts.killGraceMs ?? 2_000;
  const base = opts.env ?? process.env;
  const running = new Set<ChildProcess>();
  // Only signals offered while full (by a caller ignoring `false`) wait here.
  const waiting: ChangeSignal[] = [];
  let resume: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  /** Durable mode (attachLedger): the store's ledger is the queue, files make runs outlive us. */
  let ledger: SinkLedger | undefined;
  let spool: string | undefined;
  /** Ledger entries being run or recovered now, by signal id. */
  const active = new Set<string>();
  /** The page of ledger entries read ahead, and the seq after which the next page starts. */
  let page: LedgerEntry[] = [];
  let lastSeq = 0;
  const pollers = new Set<NodeJS.Timeout>();
  // POSIX only: the wrapper is /bin/sh. On Windows a durable hook is at least once (documented).
  const wrap = process.platform !== 'win32';

  const full = () => running.size + waiting.length >= config.maxConcurrent;

  function run(
    signal: ChangeSignal,
    durable?: { files: SpoolFiles; stderrFd: number; redelivery: boolean; attempt: number },
  ): void {
    const [file, ...args] = config.command as [string, ...string[]];
    const started = Date.now();
    // A new process group on POSIX, so a timeout kills the hook's children as well.
    const group = process.platform !== 'win32';
    const env = hookEnv(signal, config, base, opts.format);
    let child: ChildProcess;
    try {
      if (durable && wrap) {
        // The wrapper reads stdin from the payload file and leaves the exit status behind, so
        // the run can be settled after a kill -9 of the daemon (hook-spool.ts).
        env.TIDINGS_DELIVERY_ATTEMPT = String(durable.attempt);
        if (durable.redelivery) env.TIDINGS_REDELIVERY = '1';
        const argv = config.shell ? ['/bin/sh', '-c', file] : [file, ...args];
        try {
          child = spawn('/bin/sh', ['-c', WRAPPER, durable.files.status, durable.files.payload, ...argv], {
            env,
            cwd: config.cwd,
            detached: true,
            stdio: ['ignore', 'ignore', durable.stderrFd],
          });
        } finally {
          closeSync(durable.stderrFd);
        }
      } else {
        child = spawn(file, config.shell ? [] : args, {
          env,
          cwd: config.cwd,
          shell: config.shell,
          detached: group,
          stdio: ['pipe', 'ignore', 'pipe'],
          windowsHide: true,
        });
      }
    } catch (cause) {
      report(signal, started, { exitCode: null, killedBy: null, timedOut: false, spawnError: cause });
      finished(signal, durable?.files);
      return;
    }
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-STDERR_TAIL);
    });
    if (child.stdin) {
      // A hook that does not read stdin closes it early: EPIPE is expected, not an error.
      child.stdin.on('error', () => {});
      child.stdin.end(`${JSON.stringify(signal)}\n`);
    }

    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (group && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // Already gone.
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      hardKill = setTimeout(() => kill('SIGKILL'), grace);
    }, config.timeoutSeconds * 1000);

    let spawnError: unknown;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (exitCode, killedBy) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      // The group may outlive its leader (a backgrounded child): make sure it is gone.
      if (timedOut) kill('SIGKILL');
      running.delete(child);
      if (durable && wrap) {
        stderr = stderrTail(durable.files, STDERR_TAIL);
        // Through the wrapper, sh's "not found" / "not executable" is what spawn's ENOENT was.
        if ((exitCode === 127 || exitCode === 126) && !spawnError)
          spawnError = new Error(exitCode === 127 ? 'command not found' : 'command not executable');
      }
      report(signal, started, { exitCode, killedBy, timedOut, spawnError, stderr });
      finished(signal, durable?.files);
      next();
    });
  }

  /** A durable run is settled: off the ledger (never offered again), its files gone. */
  function finished(signal: ChangeSignal, files: SpoolFiles | undefined): void {
    if (!ledger || !files) return;
    try {
      ledger.done(signal.id);
    } catch (err) {
      // It stays in the ledger; the next start finds its status file and settles it then.
      log.error({ err, hook: config.name, signalId: signal.id }, 'could not settle a hook run in the ledger');
      return;
    }
    active.delete(signal.id);
    try {
      removeRun(files);
    } catch {
      // Stale files are harmless: their entry is gone from the ledger.
    }
  }

  /** Starts ledger entries while there is room (durable mode). */
  function pump(): void {
    if (!ledger || closing || !spool) return;
    while (active.size < config.maxConcurrent && !closing) {
      if (page.length === 0) {
        try {
          page = ledger.open(lastSeq, 32);
        } catch (err) {
          log.error({ err, hook: config.name }, 'could not read the hook ledger');
          return;
        }
        if (page.length === 0) return;
        lastSeq = page[page.length - 1]?.seq ?? lastSeq;
      }
      const entry = page.shift() as LedgerEntry;
      if (active.has(entry.signal.id)) continue;
      active.add(entry.signal.id);
      const files = spoolFiles(spool, entry.signal.id);
      if (entry.state === 'running') recover(entry, files);
      else begin(entry, files, false);
    }
  }

  /** Notes the attempt in the ledger (durably), then runs the hook. */
  function begin(entry: LedgerEntry, files: SpoolFiles, redelivery: boolean): void {
    let stderrFd: number;
    try {
      stderrFd = prepareRun(files, `${JSON.stringify(entry.signal)}\n`);
      try {
        ledger?.begin(entry.signal.id, JSON.stringify({ status: files.status }));
      } catch (err) {
        closeSync(stderrFd);
        throw err;
      }
    } catch (err) {
      log.error(
        { err, hook: config.name, signalId: entry.signal.id },
        'could not note a hook run; retried on the next start',
      );
      active.delete(entry.signal.id);
      return;
    }
    run(entry.signal, { files, stderrFd, redelivery, attempt: entry.attempts + 1 });
  }

  /**
   * An entry a previous life began: settle it by its status file, wait for a wrapper still
   * running, or run it again flagged as a redelivery when the run died with the daemon.
   */
  function recover(entry: LedgerEntry, files: SpoolFiles): void {
    const started = Date.now();
    // Settled meanwhile by the instance this one replaces (a reload rebuilds the sinks while
    // the old hooks finish): nothing left to do, and running it again would repeat it.
    const owed = () => {
      try {
        return ledger?.open(entry.seq - 1, 1)[0]?.signal.id === entry.signal.id;
      } catch {
        return true;
      }
    };
    const drop = () => {
      active.delete(entry.signal.id);
      next();
    };
    const deadline = started + config.timeoutSeconds * 1000 + grace;
    const settle = (): boolean => {
      const status = readStatus(files);
      if (status === undefined) return false;
      if (!owed()) {
        drop();
        return true;
      }
      log.info(
        { hook: config.name, signalId: entry.signal.id, status },
        'hook ran while the daemon was down',
      );
      report(entry.signal, started, {
        exitCode: status,
        killedBy: null,
        timedOut: false,
        stderr: stderrTail(files, STDERR_TAIL),
      });
      finished(entry.signal, files);
      next();
      return true;
    };
    if (settle()) return;
    if (!owed()) {
      drop();
      return;
    }
    const pid = findWrapper(files);
    if (pid === undefined) {
      // No status and no wrapper: the run died with the daemon (or never started).
      log.warn(
        { hook: config.name, signalId: entry.signal.id },
        'a hook run died with the daemon: running it again (TIDINGS_REDELIVERY=1)',
      );
      begin(entry, files, true);
      return;
    }
    // A wrapper still runs (or, without /proc, may): wait for its status, bounded by the timeout.
    const poll = setInterval(() => {
      if (settle()) {
        clearInterval(poll);
        pollers.delete(poll);
        return;
      }
      const gone = pid === null ? Date.now() > deadline : !alive(pid);
      if (gone || Date.now() > deadline) {
        clearInterval(poll);
        pollers.delete(poll);
        if (pid !== null && !gone) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
        if (settle()) return;
        if (owed()) begin(entry, files, true);
        else drop();
      }
    }, 200);
    poll.unref();
    pollers.add(poll);
  }

  function report(
    signal: ChangeSignal,
    started: number,
    r: {
      exitCode: number | null;
      killedBy: NodeJS.Signals | null;
      timedOut: boolean;
      spawnError?: unknown;
      stderr?: string;
    },
  ): void {
    const ctx = { sink: config.name, signalId: signal.id, stderr: r.stderr?.trim() || undefined };
    let error: SinkError | undefined;
    if (r.spawnError) {
      error = new SinkError(
        'SINK_ERR_HOOK_SPAWN',
        `hook ${config.name}: cannot run ${config.command[0]}: ${(r.spawnError as Error).message}`,
        ctx,
        { cause: r.spawnError },
      );
    } else if (r.timedOut) {
      error = new SinkError(
        'SINK_ERR_HOOK_TIMEOUT',
        `hook ${config.name} ran longer than ${config.timeoutSeconds} s and was killed`,
        {
          ...ctx,
          killedBy: r.killedBy ?? undefined,
        },
      );
    } else if (r.exitCode !== 0) {
      error = new SinkError(
        'SINK_ERR_HOOK_EXIT',
        r.killedBy
          ? `hook ${config.name} was killed by ${r.killedBy}`
          : `hook ${config.name} exited with ${r.exitCode}`,
        { ...ctx, status: r.exitCode ?? undefined, killedBy: r.killedBy ?? undefined },
      );
    }
    const durationMs = Date.now() - started;
    if (error) log.warn({ err: error, code: error.code, hook: config.name, durationMs }, error.message);
    else log.debug({ hook: config.name, signalId: signal.id, durationMs }, 'hook ran');
    emit(sinkChannels.exec, () => ({
      sink: config.name,
      signalId: signal.id,
      exitCode: r.exitCode,
      killedBy: r.killedBy,
      timedOut: r.timedOut,
      durationMs,
      error,
    }));
  }

  function next(): void {
    if (closing) return;
    if (ledger) {
      pump();
      return;
    }
    const wasFull = running.size + 1 + waiting.length >= config.maxConcurrent;
    const queued = waiting.shift();
    if (queued) run(queued);
    if (wasFull && !full()) resume?.();
  }

  return {
    name: config.name,
    role: 'hook',
    // Windows has no /bin/sh wrapper: no durable runs there, and no ledger for the hub to fill.
    ...(wrap
      ? {
          attachLedger(l: SinkLedger) {
            ledger = l;
            spool = spoolDirFor(l.spoolDir, config.name);
            // What a previous life left open (running or not yet run) goes first.
            pump();
          },
        }
      : {}),
    deliver(signal) {
      if (closing) return true;
      // Durable: the entry is in the ledger already; the ledger is the queue, never busy.
      if (ledger) {
        pump();
        return true;
      }
      if (running.size < config.maxConcurrent) run(signal);
      else waiting.push(signal);
      return !full();
    },
    onDrain(fn) {
      resume = fn;
    },
    close() {
      // Let running hooks finish (each is bounded by its own timeout); forget queued ones.
      closing ??= new Promise<void>((resolve) => {
        waiting.length = 0;
        // Recoveries still waiting stay `running` in the ledger: the next life settles them.
        for (const p of pollers) clearInterval(p);
        pollers.clear();
        if (running.size === 0) return resolve();
        for (const c of running) c.once('close', () => running.size === 0 && resolve());
      });
      return closing;
    },
  };
}
