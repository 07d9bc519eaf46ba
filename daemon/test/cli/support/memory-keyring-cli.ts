/**
 * `tidings` with an in-memory keyring, for the pseudo-terminal tests: the prompts, echo and
 * line editing are the real ones (processIo), only the OS store is replaced — the test machine
 * has no Secret Service. On exit it prints which keyring entries were stored, never their values.
 */
import { processIo, runCli } from '../../../src/cli/main';

const store = new Map<string, string>();
const io = processIo();
io.hooks = {
  keyring: {
    get: async (service, account) => store.get(`${service}/${account}`) ?? null,
    set: async (service, account, value) => void store.set(`${service}/${account}`, value),
    delete: async (service, account) => store.delete(`${service}/${account}`),
  },
};
const code = await runCli(process.argv.slice(2), io);
process.stdout.write(`keyring entries: ${[...store.keys()].join(', ') || 'none'}\n`);
process.exitCode = code;
