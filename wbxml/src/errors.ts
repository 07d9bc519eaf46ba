/**
 * The codec's one error class and its codes. Decoding stops at the first error.
 *
 * | code | raised by | meaning |
 * | --- | --- | --- |
 * | `WBXML_ERR_TRUNCATED` | decode | the document ends inside a token, string, header or open element |
 * | `WBXML_ERR_UNSUPPORTED_VERSION` | decode | header version byte is not WBXML 1.0–1.3 |
 * | `WBXML_ERR_UNSUPPORTED_CHARSET` | decode | charset is not UTF-8 (106) or its subset US-ASCII (3) |
 * | `WBXML_ERR_MBUINT_TOO_LONG` | decode | an mb_u_int32 runs past 5 bytes or 32 bits (WBXML 1.3 §5.1) |
 * | `WBXML_ERR_LENGTH_PAST_END` | decode | a string-table or OPAQUE length runs past the end of the document |
 * | `WBXML_ERR_BAD_STRING_REF` | decode | a STR_T or public-id index points outside the string table |
 * | `WBXML_ERR_UNKNOWN_PAGE` | decode | SWITCH_PAGE to a code page MS-ASWBXML does not define |
 * | `WBXML_ERR_UNKNOWN_TOKEN` | decode | a tag token the current code page does not define |
 * | `WBXML_ERR_ATTRIBUTES_UNSUPPORTED` | decode, fromXml | an attribute (EAS defines none) |
 * | `WBXML_ERR_PI_UNSUPPORTED` | decode | a processing instruction (EAS defines none) |
 * | `WBXML_ERR_LITERAL_UNSUPPORTED` | decode | a LITERAL tag (EAS uses code-page tokens only) |
 * | `WBXML_ERR_EXTENSION_UNSUPPORTED` | decode | an EXT_* token (EAS defines no extensions) |
 * | `WBXML_ERR_INVALID_ENTITY` | decode | an ENTITY that is not a Unicode scalar value |
 * | `WBXML_ERR_INVALID_UTF8` | decode | an inline or table string that is not valid UTF-8 |
 * | `WBXML_ERR_UNEXPECTED_TOKEN` | decode | a token where the grammar does not allow it (text before the root, END with nothing open) |
 * | `WBXML_ERR_TRAILING_DATA` | decode | bytes after the root element's END |
 * | `WBXML_ERR_DEPTH_EXCEEDED` | decode, encode, fromXml | nesting deeper than `maxDepth` |
 * | `WBXML_ERR_TOO_MANY_ELEMENTS` | decode | more elements than `maxElements` |
 * | `WBXML_ERR_STRING_TABLE_TOO_LARGE` | decode | string table longer than `maxStringTableSize` |
 * | `WBXML_ERR_OPAQUE_TOO_LARGE` | decode | OPAQUE longer than `maxOpaqueLength` |
 * | `WBXML_ERR_DOCUMENT_TOO_LARGE` | decode | document longer than `maxDocumentSize` |
 * | `WBXML_ERR_TEXT_TOO_LARGE` | decode | more text than `maxTextBytes` (string-table references counted each time), or one text longer than a JS string can be |
 * | `WBXML_ERR_UNKNOWN_NAMESPACE` | encode, fromXml | a namespace that is no EAS code page |
 * | `WBXML_ERR_UNKNOWN_TAG` | encode, fromXml | a tag its code page does not define |
 * | `WBXML_ERR_INVALID_TREE` | encode, toXml | a node that is not an element, string or Uint8Array; text with U+0000 |
 * | `WBXML_ERR_XML_SYNTAX` | fromXml | not well-formed XML, a character XML 1.0 does not allow (raw C0 control, U+FFFE/U+FFFF, lone surrogate, or such a reference), an unknown entity, bad base64 |
 * | `WBXML_ERR_XML_HOSTILE` | fromXml | a DOCTYPE internal subset or entity declaration (entity expansion attacks) |
 * | `WBXML_ERR_XML_UNREPRESENTABLE` | toXml | content the XML convention cannot carry (opaque mixed with other content) |
 */
export type WbxmlErrorCode =
  | 'WBXML_ERR_TRUNCATED'
  | 'WBXML_ERR_UNSUPPORTED_VERSION'
  | 'WBXML_ERR_UNSUPPORTED_CHARSET'
  | 'WBXML_ERR_MBUINT_TOO_LONG'
  | 'WBXML_ERR_LENGTH_PAST_END'
  | 'WBXML_ERR_BAD_STRING_REF'
  | 'WBXML_ERR_UNKNOWN_PAGE'
  | 'WBXML_ERR_UNKNOWN_TOKEN'
  | 'WBXML_ERR_ATTRIBUTES_UNSUPPORTED'
  | 'WBXML_ERR_PI_UNSUPPORTED'
  | 'WBXML_ERR_LITERAL_UNSUPPORTED'
  | 'WBXML_ERR_EXTENSION_UNSUPPORTED'
  | 'WBXML_ERR_INVALID_ENTITY'
  | 'WBXML_ERR_INVALID_UTF8'
  | 'WBXML_ERR_UNEXPECTED_TOKEN'
  | 'WBXML_ERR_TRAILING_DATA'
  | 'WBXML_ERR_DEPTH_EXCEEDED'
  | 'WBXML_ERR_TOO_MANY_ELEMENTS'
  | 'WBXML_ERR_STRING_TABLE_TOO_LARGE'
  | 'WBXML_ERR_OPAQUE_TOO_LARGE'
  | 'WBXML_ERR_DOCUMENT_TOO_LARGE'
  | 'WBXML_ERR_TEXT_TOO_LARGE'
  | 'WBXML_ERR_UNKNOWN_NAMESPACE'
  | 'WBXML_ERR_UNKNOWN_TAG'
  | 'WBXML_ERR_INVALID_TREE'
  | 'WBXML_ERR_XML_SYNTAX'
  | 'WBXML_ERR_XML_HOSTILE'
  | 'WBXML_ERR_XML_UNREPRESENTABLE';

/**
 * A codec failure. `offset` is the byte offset in the WBXML input where decoding failed, the
 * output offset reached when encoding failed, or the character offset in XML input (-1 when
 * unknown). `path` names the element (e.g. `Sync/Collections/Collection`) when one is known.
 */
export class WbxmlError extends Error {
  override readonly name = 'WbxmlError';
  readonly code: WbxmlErrorCode;
  readonly offset: number;
  readonly path: string | undefined;

  constructor(
    code: WbxmlErrorCode,
    message: string,
    offset: number,
    options?: { path?: string; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = offset;
    this.path = options?.path;
  }
}

/** The one factory every codec module uses: the message carries the code's context and the offset. */
export function createError(
  code: WbxmlErrorCode,
  detail: string,
  offset: number,
  options?: { path?: string; cause?: unknown },
): WbxmlError {
  const where = offset >= 0 ? ` at offset ${offset}` : '';
  const inEl = options?.path ? ` in <${options.path}>` : '';
  return new WbxmlError(code, `${detail}${where}${inEl}`, offset, options);
}

/** `Sync/Collections/Collection`; a deep path (a nesting error) keeps its first and last three names. */
export function elementPath(tags: readonly string[]): string {
  if (tags.length <= 8) return tags.join('/');
  return `${tags.slice(0, 3).join('/')}/…(${tags.length - 6} more)…/${tags.slice(-3).join('/')}`;
}

/** True for a WbxmlError, optionally of one code. */
export function isWbxmlError(err: unknown, code?: WbxmlErrorCode): err is WbxmlError {
  return err instanceof WbxmlError && (code === undefined || err.code === code);
}
