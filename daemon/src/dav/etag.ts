/**
 * ETags as servers really send them. RFC 7232 §2.3 makes an ETag a quoted string, optionally
 * weak (`W/"…"`), but DAV servers differ between the places they report one: some pad the
 * `getetag` property with whitespace or line breaks (pretty-printed XML), some mark it weak in a
 * PROPFIND and strong in a multiget, some drop the quotes in one answer and keep them in another
 * (DAVx5 and vdirsyncer both compare ETags loosely for this reason). Compared raw, each of those
 * reads as a change and announces an untouched item again. We keep one canonical form: trimmed,
 * without the weak prefix, in double quotes — which is what a well-behaved server's ETag already
 * is, so states stored before this keep comparing equal.
 */
export function normalizeEtag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let e = raw.trim();
  if (e.startsWith('W/') || e.startsWith('w/')) e = e.slice(2).trim();
  if (e.length >= 2 && e.startsWith('"') && e.endsWith('"')) e = e.slice(1, -1);
  return e === '' ? undefined : `"${e}"`;
}

/** Two ETags denote the same version (both known, equal once normalised). */
export function sameEtag(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && normalizeEtag(a) === normalizeEtag(b);
}
