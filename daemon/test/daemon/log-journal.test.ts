/**
 * Log priorities under systemd (issue 16, "Service": pino JSON on stderr was invisible to
 * `journalctl -p warning`). The end-to-end run — the installed daemon with its stderr as the
 * journal stream — is in scripts/test/install.test.ts.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log';
import { isJournalStream, journalPriority, journalText, withJournalPriority } from '../../src/log-journal';

const dir = mkdtempSync(join(tmpdir(), 'tidings-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { stream, lines };
}

describe('syslog priority of each pino level', () => {
  it.each([
    [60, 2],
    [50, 3],
    [40, 4],
    [30, 6],
    [20, 7],
    [10, 7],
  ])('level %i → <%i>', (level, priority) => {
    expect(journalPriority(level)).toBe(priority);
  });
});

describe('the logger under the journal', () => {
  it('prefixes every line with its priority, the JSON after it unchanged', () => {
    const { stream, lines } = capture();
    const log = createLogger({ level: 'trace', destination: stream, journal: true });
    log.error({ account: 'a' }, 'cannot start');
    log.warn('slow server');
    log.info('started');
    log.debug('detail');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<7>']);
    const parsed = JSON.parse(lines[0]!.slice(3)) as { level: number; msg: string; account: string };
    expect(parsed).toMatchObject({ level: 50, msg: 'cannot start', account: 'a' });
  });

  it('leaves lines alone elsewhere', () => {
    const { stream, lines } = capture();
    createLogger({ destination: stream }).warn('x');
    expect(lines[0]!.startsWith('{"level":40')).toBe(true);
  });

  it('a line without a level is filed as info', () => {
    const lines: string[] = [];
    withJournalPriority({ write: (l: string) => lines.push(l) }).write('plain\n');
    expect(lines).toEqual(['<6>plain\n']);
  });

  it("the CLI's own error text is an error, other text info, line by line", () => {
    expect(journalText('tidings: no config file (CONFIG_ERR_NOT_FOUND)\n')).toBe(
      '<3>tidings: no config file (CONFIG_ERR_NOT_FOUND)\n',
    );
    expect(journalText('one\ntwo\n')).toBe('<6>one\n<6>two\n');
  });
});

describe('JOURNAL_STREAM names our stderr (systemd.exec(5))', () => {
  it('matches the device:inode of the fd, and nothing else', () => {
    const file = join(dir, 'stream');
    const fd = openSync(file, 'w');
    try {
      const st = statSync(file, { bigint: true });
      expect(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
      expect(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBe(false);
      expect(isJournalStream({ JOURNAL_STREAM: 'garbage' }, fd)).toBe(false);
      expect(isJournalStream({}, fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });
});
