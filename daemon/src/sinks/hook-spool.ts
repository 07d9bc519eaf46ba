import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The files that let an exec hook's run outlive the daemon (issue 13 §7, exactly once across
 * kill -9). Each run gets, in the hook's spool directory:
 *
 * - `<key>.json` — the signal, the hook's stdin. Written before the run, so a daemon killed
 *   mid-write cannot hand the hook half a signal.
 * - `<key>.stderr` — the hook's stderr (a file, not a pipe: a pipe to a dead daemon would kill
 *   the hook with SIGPIPE at its next write); its tail goes into the log line.
 * - `<key>.status` — the hook's exit status, written (via a temp file and rename) by a small
 *   `/bin/sh` wrapper when the hook ends — whether or not the daemon is still there.
 *
 * The wrapper runs in its own process group, so a kill -9 of the daemon leaves it and the hook
 * running. On the next start a `running` ledger entry is settled by what these files and
 * `/proc` say: a status file → the hook ran, done (never run twice); a wrapper still alive →
 * wait for it; neither → the run died with the daemon (systemd's control-group kill, a reboot)
 * and the hook runs again with `TIDINGS_REDELIVERY=1`. Pure file and /proc helpers; the
 * process handling is in exec-hook.ts.
 */

/**
 * `$0` is the status file, `$1` the payload; the rest is the hook's argv. The status is
 * written even when the hook fails; `exit` passes the hook's own status on.
 */
export const WRAPPER =
  'exec 0<"$1"; shift; "$@"; s=$?; printf "%s\\n" "$s" > "$0.tmp" && mv -f "$0.tmp" "$0"; exit "$s"';

/** A file name for a signal id: ids are ours, but keep to a safe alphabet and a sane length. */
export function spoolKey(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return safe === id ? safe : `${safe}-${Buffer.from(id).toString('base64url').slice(-16)}`;
}

/** The hook's spool directory (created 0700), under the store's spool dir or a temp dir. */
export function spoolDirFor(base: string | undefined, hookName: string): string {
  const root = base ?? mkdtempSync(join(tmpdir(), 'tidings-spool-'));
  const dir = join(root, `exec-${spoolKey(hookName)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface SpoolFiles {
  payload: string;
  status: string;
  stderr: string;
}

export function spoolFiles(dir: string, id: string): SpoolFiles {
  const key = spoolKey(id);
  return {
    payload: join(dir, `${key}.json`),
    status: join(dir, `${key}.status`),
    stderr: join(dir, `${key}.stderr`),
  };
}

/**
 * Writes the payload, clears a status left by an earlier attempt and opens a fresh stderr
 * file; returns its descriptor for the child (the caller closes it after spawn).
 */
export function prepareRun(files: SpoolFiles, stdin: string): number {
  rmSync(files.status, { force: true });
  writeFileSync(files.payload, stdin, { mode: 0o600 });
  return openSync(files.stderr, 'w', 0o600);
}

/** The last `max` bytes of the run's stderr file, as text ('' when none). */
export function stderrTail(files: SpoolFiles, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(files.stderr, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The hook's exit status from its status file, or undefined when it has not ended. */
export function readStatus(files: SpoolFiles): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(files.status, 'utf8'), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

export function removeRun(files: SpoolFiles): void {
  rmSync(files.payload, { force: true });
  rmSync(files.stderr, { force: true });
  rmSync(files.status, { force: true });
  rmSync(`${files.status}.tmp`, { force: true });
}

/**
 * The pid of a live wrapper for this run (its argv names the status file), found through
 * /proc; undefined when none runs. `null` where there is no /proc (macOS, BSD): unknown.
 */
export function findWrapper(files: SpoolFiles): number | undefined | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  const needle = `\0${files.status}\0`;
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      // A zombie has an empty cmdline: it has ended.
      if (`\0${cmdline}`.includes(needle)) return Number(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** True while `pid` runs (a zombie counts as ended). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true; // no /proc: kill(0) is all we know
  }
}
