/**
 * Decoder caps. Every one is checked before the memory it guards is allocated, the way ws
 * counts inflated bytes as they arrive: a hostile length claim fails, it is never honoured.
 */
export interface DecodeLimits {
  /** Deepest element nesting (the root is depth 1). EAS documents stay under 20. */
  readonly maxDepth: number;
  /** Largest string table in bytes. EAS peers send an empty one. */
  readonly maxStringTableSize: number;
  /** Largest single OPAQUE in bytes (MIME bodies and ItemOperations attachments arrive this way). */
  readonly maxOpaqueLength: number;
  /** Largest document in bytes. */
  readonly maxDocumentSize: number;
  /** Most elements in one document. */
  readonly maxElements: number;
  /**
   * Most text in one document, in UTF-8 bytes: inline strings, entities and every string-table
   * reference counted each time it is used (a reference is how a small document claims a lot of
   * text). Counted before each string is decoded.
   */
  readonly maxTextBytes: number;
}

/** Defaults sized for real mailboxes: a 50 MB attachment fits, a 2 GB claim does not. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxDepth: 64,
  maxStringTableSize: 1024 * 1024,
  maxOpaqueLength: 64 * 1024 * 1024,
  maxDocumentSize: 128 * 1024 * 1024,
  maxElements: 1_000_000,
  // Half the document cap: a mail Sync carries a few MB of text; larger payloads come as OPAQUE.
  maxTextBytes: 64 * 1024 * 1024,
});

const LIMIT_NAMES = Object.keys(DEFAULT_DECODE_LIMITS) as (keyof DecodeLimits)[];

/**
 * Merges caller overrides onto the defaults, checking each field when the limits are built
 * (undici's habit): a misspelt or non-numeric limit is a programming error, named here.
 */
export function resolveLimits(overrides?: Partial<DecodeLimits>): DecodeLimits {
  if (overrides === undefined) return DEFAULT_DECODE_LIMITS;
  for (const key of Object.keys(overrides)) {
    if (!LIMIT_NAMES.includes(key as keyof DecodeLimits)) {
      throw new TypeError(`unknown WBXML decode limit "${key}" (known: ${LIMIT_NAMES.join(', ')})`);
    }
    const v = overrides[key as keyof DecodeLimits];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isInteger(v))) {
      throw new TypeError(`WBXML decode limit "${key}" must be a non-negative integer, got ${String(v)}`);
    }
  }
  return { ...DEFAULT_DECODE_LIMITS, ...overrides };
}
