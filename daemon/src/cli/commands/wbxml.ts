import { readFile } from 'node:fs/promises';
import { runWbxmlCli } from '@tidings/wbxml';
import type { CommandContext } from '../command';

/** `tidings wbxml`: its name, flags and help are in ../registry.ts. */
export function wbxml(ctx: CommandContext): Promise<number> {
  return runWbxmlCli(ctx.args, {
    stdin: ctx.stdin,
    stdout: (chunk) => ctx.out.write(chunk),
    stderr: (text) => ctx.out.streams.stderr(text),
    readFile: async (path) => new Uint8Array(await readFile(path)),
  });
}
