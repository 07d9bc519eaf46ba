// Public surface of the codec: the core (decode, encode, tree, errors; `@tidings/wbxml/core`) plus
// the XML bridge and the CLI, for tools, fixtures and `tidings wbxml`.
export * from './core';
export { runWbxmlCli, WBXML_CLI_USAGE, type WbxmlCliIo } from './cli';
export { toXml, fromXml, OPAQUE_ATTRIBUTE, type ToXmlOptions, type FromXmlOptions } from './xml';
