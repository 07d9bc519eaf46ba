import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { IpcError } from './errors';

/**
 * The per-user socket: `$XDG_RUNTIME_DIR/tidings/tidings.sock` (a tmpfs only the user can
 * enter, cleaned at logout), else `/tmp/tidings-<uid>/tidings.sock`; on Windows the named pipe
 * `\\.\pipe\tidings-<user>` (pipes live in their own namespace, not the file system).
 */
export function defaultIpcPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') return `\\\\.\\pipe\\tidings-${userInfo().username}`;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'tidings', 'tidings.sock');
  return join('/tmp', `tidings-${process.getuid?.() ?? userInfo().uid}`, 'tidings.sock');
}

export const isNamedPipe = (path: string): boolean =>
  path.startsWith('\\\\.\\pipe\\') || path.startsWith('//./pipe/');

/**
 * Makes the socket's directory ours and private. Node does not expose SO_PEERCRED, so we
 * cannot ask who connected: the guard is that only our uid can reach the socket at all
 * (directory 0700 owned by us, socket 0600). A directory owned by another user, or a
 * symlink planted in /tmp, is refused rather than "fixed" — it could be an attack.
 */
export async function prepareSocketDir(dir: string): Promise<void> {
  const uid = process.getuid?.();
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') await mkdir(dir, { recursive: true, mode: 0o700 });
    else if (code !== 'EEXIST') throw err;
  }
  const st = await lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new IpcError(
      'IPC_ERR_UNSAFE_PATH',
      `${dir} is not a plain directory (a symlink?); refusing to use it`,
    );
  if (uid !== undefined && st.uid !== uid)
    throw new IpcError(
      'IPC_ERR_UNSAFE_PATH',
      `${dir} is owned by uid ${st.uid}, not by us (uid ${uid}); remove it or set ipc.path`,
    );
  // Ours but too open (created by an older version, or an umask accident): tighten it.
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** True when something accepts connections on the path. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a hung listener is still a listener
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Clears the way for listen(): a socket left by a crashed daemon is removed, but only after a
 * connect test shows nobody answers — unlinking a live daemon's socket would orphan it.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket())
    throw new IpcError('IPC_ERR_UNSAFE_PATH', `${path} exists and is not a socket; refusing to replace it`);
  if (await probeSocket(path))
    throw new IpcError(
      'IPC_ERR_IN_USE',
      `a daemon already answers on ${path}; stop it first (tidings status)`,
    );
  await unlink(path);
}

/** Everything before listen(): private directory, stale socket gone. No-op for named pipes. */
export async function prepareListenPath(path: string): Promise<void> {
  if (isNamedPipe(path)) return;
  await prepareSocketDir(dirname(path));
  await clearStaleSocket(path);
}
