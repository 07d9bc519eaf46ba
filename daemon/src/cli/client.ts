import { type IpcClient, connect } from '../ipc/client';
import type { CommandContext } from './command';
import { socketPathOf } from './paths';

/**
 * Runs `fn` with a connected client and closes it after. A missing daemon surfaces as
 * IpcError IPC_ERR_NOT_RUNNING, which main maps to exit code 3.
 */
export async function withDaemon<T>(ctx: CommandContext, fn: (client: IpcClient) => Promise<T>): Promise<T> {
  const client = await connect(socketPathOf(ctx), { client: 'cli' });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
