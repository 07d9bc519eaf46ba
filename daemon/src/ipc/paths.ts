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

/**
 * A client's check before it sends anything (issue 13 §4): with `XDG_RUNTIME_DIR` unset the
 * socket lives in `/tmp/tidings-<uid>/`, which any local user can create first and listen in —
 * and receive `accounts.add` with a password. So the socket's directory must be a real
 * directory owned by us (or root, for a system-wide runtime dir) and writable by nobody else,
 * and the socket must be a socket owned by us. With the directory ours and closed, nobody else
 * can swap the socket between this check and connect(). A missing directory or socket is
 * IPC_ERR_NOT_RUNNING; anything else wrong is IPC_ERR_UNSAFE_PATH naming the path and the fix.
 * Named pipes (Windows) are not checked here.
 */
export async function checkSocketPath(path: string): Promise<void> {
  const uid = process.getuid?.();
  if (isNamedPipe(path) || uid === undefined) return;
  const dir = dirname(path);
  const notRunning = () =>
    new IpcError(
      'IPC_ERR_NOT_RUNNING',
      `the daemon is not running (nothing listens on ${path}); start it with \`tidings daemon\``,
    );
  let d: Awaited<ReturnType<typeof lstat>>;
  try {
    d = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning();
    throw err;
  }
  const unsafe = (why: string, fix: string) =>
    new IpcError(
      'IPC_ERR_UNSAFE_PATH',
      `refusing to talk to the daemon at ${path}: ${why}; nothing was sent. Fix: ${fix}`,
    );
  const removeIt = `if you did not create it, another local user may be listening there: remove ${dir} (as root if need be), then start the daemon again, or set XDG_RUNTIME_DIR / ipc.path`;
  if (d.isSymbolicLink() || !d.isDirectory())
    throw unsafe(`${dir} is not a plain directory (a symlink?)`, removeIt);
  if (d.uid !== uid && d.uid !== 0)
    throw unsafe(`${dir} belongs to uid ${d.uid}, not to you (uid ${uid})`, removeIt);
  if ((d.mode & 0o022) !== 0)
    throw unsafe(
      `${dir} is writable by others (mode ${(d.mode & 0o7777).toString(8).padStart(4, '0')}), so the socket could be swapped`,
      `chmod 700 '${dir}' (the daemon creates it 0700)`,
    );
  let s: Awaited<ReturnType<typeof lstat>>;
  try {
    s = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning();
    throw err;
  }
  if (!s.isSocket()) throw unsafe(`${path} is not a socket`, removeIt);
  if (s.uid !== uid) throw unsafe(`the socket belongs to uid ${s.uid}, not to you (uid ${uid})`, removeIt);
}
