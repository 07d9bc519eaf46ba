import type { DavCollection } from './collection';

/**
 * Pure: which of the found collections to watch. A configured list matches hrefs or display
 * names; without one: calendars and task lists the user owns (DAV:owner is the principal, or no
 * owner is reported) and every address book. A discovery URL that named one collection watches it.
 */
export function selectCollections(
  found: readonly DavCollection[],
  opts: { configured?: readonly string[]; principal?: string; onlyCollection?: string },
): DavCollection[] {
  if (opts.configured && opts.configured.length > 0) {
    const wanted = new Set(opts.configured.map((s) => s.trim()));
    return found.filter(
      (c) =>
        wanted.has(c.name) ||
        wanted.has(c.href) ||
        wanted.has(c.href.replace(/\/$/, '')) ||
        matchesUrl(wanted, c.href),
    );
  }
  if (opts.onlyCollection) return found.filter((c) => c.href === opts.onlyCollection);
  return found.filter(
    (c) =>
      c.type === 'contacts' ||
      c.owner === undefined ||
      opts.principal === undefined ||
      c.owner === opts.principal,
  );
}

function matchesUrl(wanted: ReadonlySet<string>, href: string): boolean {
  for (const w of wanted) {
    if (!/^https?:\/\//.test(w)) continue;
    const path = new URL(w).pathname;
    if (path === href || `${path}/` === href) return true;
  }
  return false;
}
