import { fstatSync } from 'node:fs';

/**
 * Log priorities for journald. Under systemd the daemon's stderr is a stream into the journal,
 * and journald files every line at the unit's default priority (info) unless the line starts
 * with an sd-daemon(3) prefix such as `<4>` (SyslogLevelPrefix=, on by default). pino's JSON
 * lines carry the level inside the JSON, which journald does not read, so `journalctl -p warning`
 * found nothing. Under the journal, each line is prefixed with its level's syslog priority.
 */

/** pino's numeric level → syslog priority (RFC 5424 §6.2.1: 2 crit, 3 err, 4 warning, 6 info, 7 debug). */
export function journalPriority(level: number): number {
  if (level >= 60) return 2; // fatal
  if (level >= 50) return 3; // error
  if (level >= 40) return 4; // warn
  if (level >= 30) return 6; // info
  return 7; // debug, trace
}

/**
 * True when `fd` is the stream systemd connected to the journal: systemd.exec(5) sets
 * JOURNAL_STREAM to that stream's `device:inode`, and a process must compare it with its own fd
 * (the variable is inherited by children whose stderr may go elsewhere).
 */
export function isJournalStream(env: NodeJS.ProcessEnv, fd = 2): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/** pino writes `{"level":N,…}`: the level is always the first key. */
const LEVEL = /^\{"level":(\d+)/;

interface Destination {
  write(line: string): unknown;
  flushSync?(): void;
  flush?(cb?: (err?: Error | null) => void): void;
}

/**
 * A pino destination that puts `<N>` before each line, N from the line's level (info when the
 * line has none). pino writes one line per call, so no line is ever split.
 */
export function withJournalPriority(dest: Destination): Destination {
  return {
    write(line: string) {
      const m = LEVEL.exec(line);
      return dest.write(`<${journalPriority(m ? Number(m[1]) : 30)}>${line}`);
    },
    ...(dest.flushSync ? { flushSync: () => dest.flushSync?.() } : {}),
    ...(dest.flush ? { flush: (cb?: (err?: Error | null) => void) => dest.flush?.(cb) } : {}),
  };
}

/**
 * The CLI's own stderr text under the journal (a daemon that cannot start says why there, not
 * through pino): every line gets `<N>`, errors (`tidings: … (CODE)` or `{"error":…}`) priority
 * 3, anything else 6.
 */
export function journalText(text: string): string {
  const priority = text.startsWith('tidings: ') || text.startsWith('{"error"') ? 3 : 6;
  return text.replace(/^(?=.)/gm, `<${priority}>`);
}
