import { spawn } from 'node:child_process';
import type { SecretSource } from './types';
import { SecretError } from './errors';

export interface CommandSecretOptions {
  /** Kill the command after this long; default 30 s (long enough to unlock a password manager). */
  timeoutMs?: number;
  /** Environment for the command; default the daemon's. */
  env?: NodeJS.ProcessEnv;
}

/** More than any password; stops a runaway command from filling memory. */
const MAX_STDOUT = 64 * 1024;

/**
 * A password command, as mbsync's `PassCmd`, aerc's `source-cred-cmd` and goimapnotify's
 * `passwordCmd`: the string runs through `sh -c` (so `pass show mail | head -1` works as people
 * write it), and the first line of its stdout is the secret. The command runs in its own
 * process group and the whole group is killed on timeout, so a `gpg` pinentry child cannot
 * outlive it. stderr is counted, never kept: tools like `pass` may echo what they decrypt.
 */
export function commandSecret(
  accountId: string,
  command: string,
  opts: CommandSecretOptions = {},
): SecretSource {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return {
    get: () =>
      new Promise<string>((resolve, reject) => {
        const windows = process.platform === 'win32';
        const child = windows
          ? spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', command], {
              env: opts.env ?? process.env,
              stdio: ['ignore', 'pipe', 'pipe'],
              windowsHide: true,
            })
          : spawn('/bin/sh', ['-c', command], {
              env: opts.env ?? process.env,
              stdio: ['ignore', 'pipe', 'pipe'],
              detached: true,
            });
        const chunks: Buffer[] = [];
        let size = 0;
        let stderrBytes = 0;
        let timedOut = false;
        const killGroup = () => {
          try {
            if (!windows && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            else child.kill('SIGKILL');
          } catch {
            // already gone
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup();
        }, timeoutMs);
        child.stdout.on('data', (b: Buffer) => {
          size += b.length;
          if (size <= MAX_STDOUT) chunks.push(b);
          else killGroup();
        });
        child.stderr.on('data', (b: Buffer) => {
          stderrBytes += b.length;
        });
        child.on('error', (cause) => {
          clearTimeout(timer);
          reject(
            new SecretError(
              'SECRET_ERR_COMMAND_FAILED',
              accountId,
              'password command could not start',
              cause,
            ),
          );
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (timedOut) {
            reject(
              new SecretError(
                'SECRET_ERR_COMMAND_TIMEOUT',
                accountId,
                `password command did not finish within ${timeoutMs} ms and was killed`,
              ),
            );
            return;
          }
          if (code !== 0) {
            const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
            const err =
              stderrBytes > 0
                ? `; its stderr (${stderrBytes} bytes) is withheld, run it by hand to see it`
                : '';
            reject(new SecretError('SECRET_ERR_COMMAND_FAILED', accountId, `password command ${how}${err}`));
            return;
          }
          const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
          if (first === '') {
            reject(
              new SecretError('SECRET_ERR_EMPTY', accountId, 'password command printed an empty first line'),
            );
            return;
          }
          resolve(first);
        });
      }),
  };
}
