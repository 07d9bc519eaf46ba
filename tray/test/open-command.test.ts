import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clickTarget } from '../src/main/notification-policy';
import { runOpenCommand } from '../src/main/open-command';
import type { ChangeSignal } from '../../daemon/src/signal';

/** Issue 16: a click runs the user's mail client, never a bare mailto: composer. */
const dir = mkdtempSync(join(tmpdir(), 'tidings-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signal: ChangeSignal = {
  id: 's',
  accountId: 'work',
  source: 'eas',
  collection: 'mail',
  // A hostile folder name: it must reach the command as data, never as shell code.
  folder: { id: 'f', name: 'In"box $(touch pwned) `id`' },
  added: [{ id: 'item-1', title: 'Hi' }],
  changed: [],
  removed: [],
  observedAt: '2026-12-07T08:00:00Z',
};

describe.skipIf(process.platform === 'win32')('the open command', () => {
  it('runs through the shell with what was clicked in its environment, not in its command line', async () => {
    const out = join(dir, 'out.txt');
    const target = clickTarget(
      signal,
      undefined,
      `printf '%s|%s|%s|%s' "$TIDINGS_ACCOUNT" "$TIDINGS_COLLECTION" "$TIDINGS_FOLDER" "$TIDINGS_ITEM_ID" > '${out}'`,
    );
    if (target?.kind !== 'command') throw new Error('expected a command target');
    const errors: Error[] = [];
    const child = runOpenCommand(target, (e) => errors.push(e), { PATH: process.env.PATH }, 'linux');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('work|mail|In"box $(touch pwned) `id`|item-1');
    expect(() => readFileSync(join(dir, 'pwned'))).toThrow();
  });

  it('reports a command that cannot start', async () => {
    const errors: Error[] = [];
    const child = runOpenCommand({ command: 'true', env: {} }, (e) => errors.push(e), {}, 'win32');
    // No ComSpec and no cmd.exe here: the spawn fails and says so.
    await new Promise((resolve) => child.once('close', resolve));
    expect(errors[0]?.message).toMatch(/ENOENT/);
  });
});
