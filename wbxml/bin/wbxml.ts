#!/usr/bin/env -S npx tsx
/**
 * Standalone codec CLI: `npx tsx wbxml/bin/wbxml.ts decode fixtures/wbxml/foldersync-response.wbxml`.
 * The logic lives in src/cli.ts; this file only wires process I/O to it.
 */
import { readFile } from 'node:fs/promises';
import { runWbxmlCli } from '../src/cli';

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const code = await runWbxmlCli(process.argv.slice(2), {
  stdin: readStdin,
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFile(path),
});
process.exitCode = code;
