// Public surface of the codec. decode/encode/toXml/fromXml/WbxmlError are added by the codec modules.
export * from './tree';
