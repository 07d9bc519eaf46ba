// Public surface of the codec.
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
export { runWbxmlCli, WBXML_CLI_USAGE, type WbxmlCliIo } from './cli';
export { toXml, fromXml, OPAQUE_ATTRIBUTE, type ToXmlOptions, type FromXmlOptions } from './xml';
