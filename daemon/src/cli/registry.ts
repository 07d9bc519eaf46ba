import type { Command } from './command';
import { accountAdd, accountRemove, accountTest } from './commands/account';
import { accountAcceptMove } from './commands/account-move';
import { accountList, accounts } from './commands/accounts';
import { check } from './commands/check';
import { pause, reload, resume, stop } from './commands/control';
import { daemon } from './commands/daemon';
import { doctor } from './commands/doctor';
import { accountLogin } from './commands/login';
import { markRead } from './commands/mark-read';
import { serviceInstall } from './commands/service';
import { status } from './commands/status';
import { watch } from './commands/watch';
import { wbxml } from './commands/wbxml';

/** Every command, in the order `tidings --help` lists them. */
export const COMMANDS: readonly Command[] = [
  daemon,
  status,
  watch,
  accounts,
  accountList,
  accountAdd,
  accountRemove,
  accountTest,
  accountLogin,
  accountAcceptMove,
  doctor,
  check,
  markRead,
  pause,
  resume,
  reload,
  stop,
  serviceInstall,
  wbxml,
];

/**
 * Finds the command named by the leading words (`account add exchange` → `account add`):
 * the longest name that matches wins.
 */
export function findCommand(words: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of COMMANDS) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.name.split(' ').length))
      best = c;
  }
  return best ? { command: best, rest: words.slice(best.name.split(' ').length) } : undefined;
}
