import { readFile } from 'node:fs/promises';
import { runWbxmlCli } from '@tidings/wbxml';
import type { Command } from '../command';

export const wbxml: Command = {
  name: 'wbxml',
  synopsis: 'decode|encode [file|-]',
  description: 'convert EAS WBXML to XML and back (for reading captures and writing fixtures)',
  flags: [],
  passthrough: true,
  // The codec's own CLI parses its flags and prints its own usage (wbxml/src/cli.ts).
  run(ctx) {
    return runWbxmlCli(ctx.args, {
      stdin: ctx.stdin,
      stdout: (chunk) => ctx.out.write(chunk),
      stderr: (text) => ctx.out.streams.stderr(text),
      readFile: async (path) => new Uint8Array(await readFile(path)),
    });
  },
};
