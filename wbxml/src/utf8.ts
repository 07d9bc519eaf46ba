/**
 * UTF-8 helpers for the codec: strict decoding of byte ranges and locating the first bad byte.
 * Short ASCII strings (tag values such as SyncKey, ServerId, Status) skip TextDecoder, whose
 * per-call cost dominates on small documents.
 */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Strings at most this long are decoded by hand (and interned) when they are pure ASCII. */
const SHORT = 64;

/**
 * The last short ASCII string seen per hash slot: a mail Sync repeats its short values (Status,
 * Importance, MessageClass, ContentClass, senders; 8 000 distinct among 32 000 in the 5 MB text
 * Sync), and a repeat then costs no string. Bounded: 1024 strings of at most 64 characters.
 */
const INTERN_SLOTS = 1024;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** Decodes bytes[start, end) as UTF-8; returns undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  if (len === 0) return '';
  if (len <= SHORT) {
    let h = len;
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) break;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (i === end) {
      const slot = (h ^ (h >>> 16)) & (INTERN_SLOTS - 1);
      const hit = interned[slot]!;
      if (hit.length === len) {
        let k = 0;
        while (k < len && hit.charCodeAt(k) === bytes[start + k]) k++;
        if (k === len) return hit;
      }
      // fromCharCode over a short array beats TextDecoder's call overhead by several times.
      const s = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
      interned[slot] = s;
      return s;
    }
  }
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/**
 * Offset of the first byte that makes bytes[start, end) invalid UTF-8 (RFC 3629 §4), or -1.
 * Only called on the error path, to point at the exact byte.
 */
export function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (i + k >= end || c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Encodes a string into dest at offset; returns the bytes written, or -1 when the string holds
 * U+0000 (which STR_I cannot carry). dest must hold 3 bytes per UTF-16 unit.
 */
export function encodeUtf8Into(s: string, dest: Uint8Array, offset: number): number {
  const len = s.length;
  if (len <= SHORT) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || c === 0) break;
      dest[offset + i] = c;
    }
    if (i === len) return len;
  }
  if (s.includes('\u0000')) return -1;
  return encoder.encodeInto(s, dest.subarray(offset)).written;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
