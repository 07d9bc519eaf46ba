/**
 * `wbxml decode|encode [file|-]` as a pure function over an injected I/O sink, so the daemon's
 * `tidings wbxml …` and the standalone wbxml/bin/wbxml.ts share it and tests capture it.
 */
import { decodeDocument } from './decoder';
import { encode } from './encoder';
import { createError, isWbxmlError } from './errors';
import { fromXml, toXml } from './xml';

/** The I/O the CLI needs; tests pass plain functions. */
export interface WbxmlCliIo {
  stdin(): Promise<Uint8Array>;
  stdout(chunk: Uint8Array | string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<Uint8Array>;
}

/** Exit codes: 0 done, 1 the input is bad (a WbxmlError), 2 usage error or unreadable file. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

export const WBXML_CLI_USAGE = `usage: wbxml <command> [options] [file|-]

commands:
  decode [file|-]   read WBXML (EAS wire form), print XML
  encode [file|-]   read XML (xmlns="AirSync:" convention), write WBXML

options:
  --compact          decode: print XML on one line (default: indented)
  --header           decode: also print the WBXML header fields to stderr
  --libwbxml-names   encode: accept libwbxml's tag spellings (wbxml2xml -l ACTIVESYNC output)
  -h, --help         show this help

Reads standard input when the file is "-" or missing. Exit codes: 0 ok, 1 bad input, 2 usage.
`;

const FLAGS: Record<string, readonly string[]> = {
  decode: ['--compact', '--header'],
  encode: ['--libwbxml-names'],
};

/** Runs the codec CLI; resolves to the process exit code. */
export async function runWbxmlCli(args: readonly string[], io: WbxmlCliIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(WBXML_CLI_USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const allowed = FLAGS[command];
  if (allowed === undefined) {
    io.stderr(`wbxml: unknown command "${command}"\n\n${WBXML_CLI_USAGE}`);
    return EXIT_USAGE;
  }
  const flags = new Set<string>();
  const files: string[] = [];
  for (const a of rest) {
    if (a === '-h' || a === '--help') {
      io.stdout(WBXML_CLI_USAGE);
      return EXIT_OK;
    }
    if (a.startsWith('--')) {
      if (!allowed.includes(a)) {
        io.stderr(`wbxml ${command}: unknown option ${a}\n`);
        return EXIT_USAGE;
      }
      flags.add(a);
    } else {
      files.push(a);
    }
  }
  if (files.length > 1) {
    io.stderr(`wbxml ${command}: expected at most one file, got ${files.length}\n`);
    return EXIT_USAGE;
  }
  const file = files[0] ?? '-';
  let input: Uint8Array;
  try {
    input = file === '-' ? await io.stdin() : await io.readFile(file);
  } catch (err) {
    io.stderr(
      `wbxml ${command}: cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}\n`,
    );
    return EXIT_USAGE;
  }
  try {
    if (command === 'decode') {
      const doc = decodeDocument(input);
      if (flags.has('--header')) {
        const h = doc.header;
        io.stderr(
          `header: WBXML 1.${h.version}, public id ${h.publicIdLiteral ?? h.publicId}, charset ${h.charset}, ` +
            `string table ${h.stringTableLength} bytes\n`,
        );
      }
      io.stdout(toXml(doc.root, { pretty: !flags.has('--compact') }));
      if (flags.has('--compact')) io.stdout('\n');
    } else {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(input);
      } catch {
        throw createError('WBXML_ERR_XML_SYNTAX', 'XML input is not valid UTF-8', -1);
      }
      io.stdout(encode(fromXml(text, { libwbxmlNames: flags.has('--libwbxml-names') })));
    }
    return EXIT_OK;
  } catch (err) {
    if (isWbxmlError(err)) {
      io.stderr(`wbxml ${command}: ${err.code}: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}
