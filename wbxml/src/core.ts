// The codec without the XML bridge and the CLI (`@tidings/wbxml/core`): what the daemon's EAS
// client runs. esbuild's code splitting keeps every module an entry re-exports in the chunk that
// imports it, so a daemon importing the full index would load xml.ts and cli.ts (~17 KB) it never
// runs (issue 5: 3 accounts idle under 60 MB; daemon/test/cli/lazy-commands.test.ts guards it).
export * from './tree';
export * from './errors';
export * from './limits';
export * from './codepage-index';
export {
  decode,
  decodeDocument,
  type DecodeOptions,
  type DecodedDocument,
  type WbxmlHeader,
} from './decoder';
export { createEncoder, encode, type EncodeOptions, type Encoder, type EncoderOptions } from './encoder';
