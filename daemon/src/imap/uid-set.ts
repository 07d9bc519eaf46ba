/**
 * UID sets as IMAP sequence sets (RFC 9051 §9 `sequence-set`): "1:5,7,9:12". The state store
 * keeps a mailbox's UIDs in this form, so a mailbox of 50 000 mostly contiguous UIDs costs a few
 * bytes, and a UID diff (expunges without QRESYNC) is a set difference. Pure.
 */

/** Sorted, de-duplicated UIDs → a compact sequence set ("" for none). */
export function encodeUids(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].filter((u) => Number.isInteger(u) && u > 0).sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

/** The UIDs of a sequence set written by encodeUids (no `*`). Throws on anything else. */
export function decodeUids(set: string, cap = 10_000_000): number[] {
  if (set === '') return [];
  const out: number[] = [];
  for (const part of set.split(',')) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`not a UID set: ${JSON.stringify(part)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    // The cap is checked before the range is expanded: a corrupt "1:4294967295" allocates nothing.
    if (out.length + (hi - lo + 1) > cap) throw new RangeError(`UID set larger than ${cap}`);
    for (let u = lo; u <= hi; u++) out.push(u);
  }
  return out;
}

/** UIDs in `a` and not in `b`, ascending. */
export function uidsMinus(a: readonly number[], b: readonly number[]): number[] {
  const drop = new Set(b);
  return a.filter((u) => !drop.has(u));
}
